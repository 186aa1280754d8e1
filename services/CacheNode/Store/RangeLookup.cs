namespace Microservices.CacheNode.Store;

/// <summary>
/// Finds which of a list of ring ranges a hash lies in, by binary search over their pieces in hash order (a range
/// that wraps past the top of the ring is two pieces). Built once per request, so a walk of the store costs
/// O(log ranges) per entry whatever the number of ranges.
/// </summary>
internal sealed class RangeLookup
{
    // Inclusive pieces [Low, High], sorted by Low, each with the index of its range.
    private readonly (ulong Low, ulong High, int Range)[] _pieces;

    public RangeLookup(IReadOnlyList<HashRange> ranges)
    {
        var pieces = new List<(ulong Low, ulong High, int Range)>(ranges.Count + 1);
        for (var i = 0; i < ranges.Count; i++)
        {
            var (start, end) = (ranges[i].Start, ranges[i].End);
            if (start == end)
            {
                pieces.Add((0, ulong.MaxValue, i));
            }
            else if (start < end)
            {
                pieces.Add((start + 1, end, i));
            }
            else
            {
                if (start != ulong.MaxValue)
                {
                    pieces.Add((start + 1, ulong.MaxValue, i));
                }

                pieces.Add((0, end, i));
            }
        }

        _pieces = [.. pieces.OrderBy(p => p.Low)];
    }

    /// <summary>Two ranges that share a hash, as indexes in the list given (lower first), or null when none do.</summary>
    public (int First, int Second)? Overlap()
    {
        for (var i = 1; i < _pieces.Length; i++)
        {
            if (_pieces[i].Low <= _pieces[i - 1].High)
            {
                var (a, b) = (_pieces[i - 1].Range, _pieces[i].Range);
                return (Math.Min(a, b), Math.Max(a, b));
            }
        }

        return null;
    }

    /// <summary>The index of a range that holds <paramref name="hash"/>, or -1.</summary>
    public int Find(ulong hash)
    {
        int low = 0, high = _pieces.Length - 1, found = -1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (_pieces[mid].Low <= hash)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found >= 0 && hash <= _pieces[found].High ? _pieces[found].Range : -1;
    }
}
