using System.Runtime.InteropServices;

namespace Microservices.LogCollector.Windows;

/// <summary>
/// Figures of one window, summed over its seconds. Counts and the response-time sum always; histogram cells and
/// error messages only when asked for (<see cref="WindowDetail"/>), because alert rules need only the counts.
/// </summary>
internal sealed class WindowTotals(WindowDetail detail)
{
    // Dense: summing a second's cells is then one array add each, and percentiles walk the cells in order.
    private readonly long[]? _cells = detail.HasFlag(WindowDetail.Percentiles) ? new long[LatencyScale.CellCount] : null;
    private readonly Dictionary<ErrorKey, long>? _messages = detail.HasFlag(WindowDetail.TopErrors) ? [] : null;

    /// <summary>All entries.</summary>
    public long Count { get; private set; }

    /// <summary>ERROR and FATAL entries.</summary>
    public long Errors { get; private set; }

    /// <summary>Entries with a response time.</summary>
    public long Timed { get; private set; }

    /// <summary>Sum of response times, in milliseconds.</summary>
    public double TimeSum { get; private set; }

    /// <summary>True when some second's message counts are Space-Saving estimates.</summary>
    public bool Approximate { get; private set; }

    /// <summary>Largest error of any message count: the sum of the approximate seconds' bounds (<see cref="SecondBucket.MessageErrorBound"/>).</summary>
    public long MaxError { get; private set; }

    /// <summary>errors / count; 0 without entries.</summary>
    public double ErrorRate => Count == 0 ? 0 : (double)Errors / Count;

    /// <summary>Mean response time in milliseconds; 0 without timed entries.</summary>
    public double AverageMs => Timed == 0 ? 0 : TimeSum / Timed;

    /// <summary>Adds one second.</summary>
    public void Add(SecondBucket bucket)
    {
        Count += bucket.Count;
        Errors += bucket.Errors;
        Timed += bucket.Timed;
        TimeSum += bucket.TimeSum;
        if (_cells is not null)
        {
            bucket.AddCellsTo(_cells);
        }

        if (_messages is not null && bucket.Messages is not null)
        {
            foreach (var (message, count) in bucket.Messages)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(_messages, message, out _) += count;
            }

            if (bucket.Approximate)
            {
                Approximate = true;
                MaxError += bucket.MessageErrorBound();
            }
        }
    }

    /// <summary>Returns the response time at quantile <paramref name="q"/> (0..1), in milliseconds; 0 without data.</summary>
    public double Percentile(double q)
    {
        if (_cells is null || Timed == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(q * Timed));
        long seen = 0;
        for (var cell = 0; cell < _cells.Length; cell++)
        {
            seen += _cells[cell];
            if (seen >= rank)
            {
                return LatencyScale.ValueOf(cell);
            }
        }

        return 0;
    }

    /// <summary>The <paramref name="limit"/> most counted error messages, most first; ties by message, then digest.</summary>
    public IReadOnlyList<KeyValuePair<ErrorKey, long>> TopErrors(int limit) => _messages is null
        ? []
        : [.. _messages.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, ErrorKey.Order).Take(limit)];
}

/// <summary>What a window query computes beyond the counts.</summary>
[Flags]
internal enum WindowDetail
{
    /// <summary>Counts and sums only.</summary>
    None = 0,

    /// <summary>Merge histogram cells for percentiles.</summary>
    Percentiles = 1,

    /// <summary>Merge error-message counts for top errors.</summary>
    TopErrors = 2,

    /// <summary>Everything.</summary>
    All = Percentiles | TopErrors,
}
