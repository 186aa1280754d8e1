using System.Globalization;

namespace Microservices.LoadGen;

/// <summary>What one run measured.</summary>
internal sealed record LoadResult(
    string Rpc, long Calls, long Items, long Errors, TimeSpan Elapsed, double P50Ms, double P99Ms, double P999Ms, string ErrorCodes = "")
{
    public double CallsPerSecond => Calls / Elapsed.TotalSeconds;

    public double ItemsPerSecond => Items / Elapsed.TotalSeconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Rpc,-8} calls/s {CallsPerSecond,10:F0}  items/s {ItemsPerSecond,11:F0}  p50 {P50Ms,7:F3} ms  p99 {P99Ms,7:F3} ms  p99.9 {P999Ms,7:F3} ms  errors {Errors}{(Errors > 0 ? $" ({ErrorCodes})" : "")}");
}
