using System.Text;

namespace Microservices.TestSupport.History;

/// <summary>The verdicts on every key of a history.</summary>
public sealed class HistoryReport(IReadOnlyList<KeyVerdict> keys)
{
    /// <summary>One verdict per key.</summary>
    public IReadOnlyList<KeyVerdict> Keys { get; } = keys;

    /// <summary>Keys whose history is not linearizable.</summary>
    public IReadOnlyList<KeyVerdict> Anomalies => [.. Keys.Where(k => k.Verdict == Verdict.NotLinearizable)];

    /// <summary>Keys the search gave up on (state limit).</summary>
    public IReadOnlyList<KeyVerdict> Unknown => [.. Keys.Where(k => k.Verdict == Verdict.Unknown)];

    /// <summary>
    /// A summary line, then each anomaly's minimal counterexample (operations, times in ms since
    /// <paramref name="origin"/>, in <see cref="System.Diagnostics.Stopwatch"/> ticks) and each unknown key.
    /// </summary>
    public string Describe(long origin)
    {
        var text = new StringBuilder();
        text.Append(FormattableString.Invariant(
            $"{Keys.Count} keys, {Keys.Sum(k => k.Operations)} operations checked, most states on one key {Keys.Select(k => k.States).DefaultIfEmpty().Max()}: "))
            .Append(FormattableString.Invariant($"{Anomalies.Count} not linearizable, {Unknown.Count} unknown")).AppendLine();
        foreach (var anomaly in Anomalies)
        {
            text.Append(FormattableString.Invariant($"key '{anomaly.Key}' is not linearizable ({anomaly.Operations} operations); a minimal counterexample:")).AppendLine();
            foreach (var op in anomaly.Counterexample.OrderBy(op => op.Invoked))
            {
                text.Append("  ").Append(op.Describe(origin)).AppendLine();
            }
        }

        foreach (var unknown in Unknown)
        {
            text.Append(FormattableString.Invariant($"key '{unknown.Key}': unknown after {unknown.States} states ({unknown.Operations} operations)")).AppendLine();
        }

        return text.ToString();
    }
}
