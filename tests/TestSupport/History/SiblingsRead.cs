namespace Microservices.TestSupport.History;

/// <summary>
/// One successful read of a history checked for lost writes (<see cref="SiblingsChecker"/>): every value it returned
/// (all the siblings, or the one value; none when the key was absent). Times are
/// <see cref="System.Diagnostics.Stopwatch"/> ticks.
/// </summary>
public sealed record SiblingsRead(int Id, int Client, string Key, IReadOnlyList<string> Values, long Invoked, long Completed)
{
    /// <summary>"#40 client 1 read ['c2-3', 'c5-1'] [20.0 ms, 24.5 ms]", times since <paramref name="origin"/>.</summary>
    public string Describe(long origin) => FormattableString.Invariant(
        $"#{Id} client {Client} read [{string.Join(", ", Values.Select(v => $"'{v}'"))}] [{Milliseconds(Invoked - origin):F1} ms, {Milliseconds(Completed - origin):F1} ms]");

    internal static double Milliseconds(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
