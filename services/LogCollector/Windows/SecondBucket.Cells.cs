namespace Microservices.LogCollector.Windows;

/// <summary>The second's histogram: sparse, sorted, packed cells, and their coarsening (degradation step 1).</summary>
internal sealed partial class SecondBucket
{
    // Cell index (LatencyScale, under 2^12) in the top 16 bits, count in the low 48, sorted by cell: 8 bytes a cell
    // against a dictionary's 28, and merged into a query's dense array in one pass.
    private const int CountBits = 48;
    private const long CountMask = (1L << CountBits) - 1;

    // Coarse cells group 8 fine ones: about 6 % relative error instead of 0.78 %.
    private const int CoarseGroup = 8;

    private ulong[]? _cells;
    private int _cellCount;

    /// <summary>True once the histogram was made coarser.</summary>
    public bool Coarse { get; private set; }

    /// <summary>Adds each cell's count to <paramref name="dense"/>[cell].</summary>
    public void AddCellsTo(long[] dense)
    {
        for (var i = 0; i < _cellCount; i++)
        {
            dense[(int)(_cells![i] >> CountBits)] += (long)(_cells[i] & CountMask);
        }
    }

    /// <summary>
    /// Merges every cell into the middle of its group of <see cref="CoarseGroup"/> (degradation step 1) and gives back
    /// the bytes saved. False when the second was coarse already or had nothing to merge.
    /// </summary>
    public bool Coarsen(ByteBudget budget)
    {
        if (Coarse || _cellCount == 0)
        {
            return false;
        }

        Coarse = true;
        var kept = 0;
        for (var i = 0; i < _cellCount; i++)
        {
            var cell = (int)(_cells![i] >> CountBits);
            var coarse = (ulong)CoarseCellOf(cell);
            var count = _cells[i] & CountMask;
            if (kept > 0 && _cells[kept - 1] >> CountBits == coarse)
            {
                _cells[kept - 1] += count;
            }
            else
            {
                _cells[kept++] = (coarse << CountBits) | count;
            }
        }

        _cellCount = kept;
        var saved = (long)(_cells!.Length - kept) * MemoryCost.Cell;
        if (saved > 0)
        {
            Array.Resize(ref _cells, kept);
            budget.Release(saved);
            Bytes -= saved;
        }

        return true;
    }

    /// <summary>The cell standing for <paramref name="cell"/>'s group of 8: its middle one (the scale's order is kept).</summary>
    internal static int CoarseCellOf(int cell) => (cell & ~(CoarseGroup - 1)) | (CoarseGroup / 2);

    private void AddCell(int cell, ByteBudget budget)
    {
        if (Coarse)
        {
            cell = CoarseCellOf(cell);
        }

        var at = Find(cell);
        if (at >= 0)
        {
            _cells![at]++;
            return;
        }

        at = ~at;
        if (_cellCount == (_cells?.Length ?? 0) && !TryGrowCells(budget))
        {
            // No room for a cell of its own: the nearest cell held takes the count (exact count, coarser value).
            if (_cellCount > 0)
            {
                var nearest = at == _cellCount ? at - 1
                    : at == 0 ? 0
                    : cell - CellAt(at - 1) <= CellAt(at) - cell ? at - 1 : at;
                _cells![nearest]++;
            }

            return;
        }

        Array.Copy(_cells!, at, _cells!, at + 1, _cellCount - at);
        _cells![at] = ((ulong)cell << CountBits) | 1;
        _cellCount++;
    }

    private bool TryGrowCells(ByteBudget budget)
    {
        var length = _cells?.Length ?? 0;
        var grown = Math.Min(Math.Max(2, length * 2), LatencyScale.CellCount);
        var bytes = ((long)(grown - length) * MemoryCost.Cell) + (length == 0 ? MemoryCost.ArrayHeader : 0);
        if (grown == length || !budget.TryTake(bytes))
        {
            return false;
        }

        Array.Resize(ref _cells, grown);
        Bytes += bytes;
        return true;
    }

    private int CellAt(int index) => (int)(_cells![index] >> CountBits);

    // Binary search by cell: the index, or the complement of where it belongs.
    private int Find(int cell)
    {
        int lo = 0, hi = _cellCount - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var at = CellAt(mid);
            if (at == cell)
            {
                return mid;
            }

            (lo, hi) = at < cell ? (mid + 1, hi) : (lo, mid - 1);
        }

        return ~lo;
    }
}
