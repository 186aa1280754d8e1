namespace Microservices.TestSupport.History;

/// <summary>
/// One client call in a history. Times are <see cref="System.Diagnostics.Stopwatch"/> ticks (monotonic, one clock for
/// all clients): <see cref="Invoked"/> just before the call was sent, <see cref="Completed"/> just after its answer (or
/// error) came back. <see cref="Value"/> is the value written, or the value read (null = absent).
/// <see cref="Version"/> is the version the service reported (a write's stamp, a read's entry), when it did.
/// </summary>
public sealed record Operation(
    int Id, int Client, string Key, OperationKind Kind, string? Value, Outcome Outcome, long Invoked, long Completed, long? Version)
{
    /// <summary>"#12 client 3 write 'v7' [10.2 ms, 14.9 ms] Indeterminate", times relative to <paramref name="origin"/>.</summary>
    public string Describe(long origin)
    {
        var what = Kind == OperationKind.Write ? $"write '{Value}'" : $"read {(Value is null ? "absent" : $"'{Value}'")}";
        return FormattableString.Invariant(
            $"#{Id} client {Client} {what} [{Milliseconds(Invoked - origin):F1} ms, {Milliseconds(Completed - origin):F1} ms] {Outcome}");
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
