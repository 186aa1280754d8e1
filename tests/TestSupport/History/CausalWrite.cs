namespace Microservices.TestSupport.History;

/// <summary>
/// One write of a history checked for lost writes (<see cref="SiblingsChecker"/>): client <see cref="Client"/> wrote
/// the unique <see cref="Value"/> to <see cref="Key"/> through the gateway whose writer id is <see cref="Writer"/>
/// (the one the version names when the write was acknowledged, else the one it was sent to), sending the causal
/// context <see cref="Context"/> (writer -> newest hybrid timestamp seen from it; empty for a blind write).
/// <see cref="Timestamp"/> is the version's hybrid timestamp when acknowledged, so the write's dot is
/// (<see cref="Writer"/>, <see cref="Timestamp"/>). Times are <see cref="System.Diagnostics.Stopwatch"/> ticks.
/// </summary>
public sealed record CausalWrite(
    int Id, int Client, string Key, string Value, string Writer, IReadOnlyDictionary<string, long> Context, Outcome Outcome,
    long Invoked, long Completed, long? Timestamp)
{
    /// <summary>
    /// True when this write's version vector may cover <paramref name="earlier"/>'s dot (an acknowledged write): the
    /// context sent names it, or this write went through the same gateway and may have been stamped after it (a
    /// gateway's own counter is its clock, so its vector covers every earlier write it stamped, blind or not).
    /// </summary>
    public bool MayCover(CausalWrite earlier)
    {
        var dot = earlier.Timestamp ?? throw new ArgumentException("only an acknowledged write has a dot", nameof(earlier));
        if (Context.TryGetValue(earlier.Writer, out var seen) && seen >= dot)
        {
            return true;
        }

        return string.Equals(Writer, earlier.Writer, StringComparison.Ordinal) && (Timestamp is { } stamp ? stamp >= dot : Completed >= earlier.Invoked);
    }

    /// <summary>"#12 client 3 write 'c3-7' via gateway-2 context {gateway-1: 123} [10.2 ms, 14.9 ms] Ok", times since <paramref name="origin"/>.</summary>
    public string Describe(long origin) => FormattableString.Invariant(
        $"#{Id} client {Client} write '{Value}' via {Writer} context {{{string.Join(", ", Context.Select(c => $"{c.Key}: {c.Value}"))}}} ") +
        FormattableString.Invariant($"[{SiblingsRead.Milliseconds(Invoked - origin):F1} ms, {SiblingsRead.Milliseconds(Completed - origin):F1} ms] {Outcome}") +
        (Timestamp is { } t ? FormattableString.Invariant($" dot ({Writer}, {t})") : string.Empty);
}
