using System.Numerics;

namespace Microservices.LogCollector.Windows;

/// <summary>
/// Log-linear cells for response times: exact microseconds below 128 µs, then 64 cells per power of two. A value is
/// reported as the middle of its cell, so the relative error is at most 1/128 (0.78 %). Cell indexes grow with the
/// value, so percentiles walk the cells in index order.
/// </summary>
internal static class LatencyScale
{
    private const int LinearCells = 128;
    private const int SubBits = 6;
    private const int FirstExponent = 7;

    // 2^37 µs is about 38 h: every accepted response time (at most 24 h) has a cell of its own scale. Longer values,
    // which ingest rejects, would share the last cell.
    private const int LastExponent = 36;

    /// <summary>Number of cells.</summary>
    public const int CellCount = LinearCells + ((LastExponent - FirstExponent + 1) << SubBits);

    /// <summary>Returns the cell of a response time in milliseconds (0 to <see cref="ServiceDefaults.LogShipping.LogEntryLimits.MaxResponseTimeMs"/>).</summary>
    public static int CellOf(double milliseconds)
    {
        var micros = (long)Math.Min(Math.Round(milliseconds * 1000), (double)(1L << (LastExponent + 1)) - 1);
        if (micros < LinearCells)
        {
            return (int)micros;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)micros);
        var sub = (int)(micros >> (exponent - SubBits)) & ((1 << SubBits) - 1);
        return LinearCells + ((exponent - FirstExponent) << SubBits) + sub;
    }

    /// <summary>Returns the value, in milliseconds, that stands for a cell: its middle.</summary>
    public static double ValueOf(int cell)
    {
        if (cell < LinearCells)
        {
            return cell / 1000.0;
        }

        var exponent = ((cell - LinearCells) >> SubBits) + FirstExponent;
        var sub = (cell - LinearCells) & ((1 << SubBits) - 1);
        var width = 1L << (exponent - SubBits);
        var lower = ((1L << SubBits) + sub) * width;
        return (lower + (width / 2.0)) / 1000.0;
    }
}
