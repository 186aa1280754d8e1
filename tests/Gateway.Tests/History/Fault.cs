namespace Microservices.Gateway.Tests.History;

/// <summary>One fault of a nemesis schedule: <see cref="Kind"/> on <see cref="Node"/>'s link from <see cref="Start"/> for <see cref="Length"/>.</summary>
internal sealed record Fault(FaultKind Kind, string Node, TimeSpan Start, TimeSpan Length)
{
    public TimeSpan End => Start + Length;

    public bool Overlaps(Fault other) => Start < other.End && other.Start < End;

    public override string ToString() => FormattableString.Invariant(
        $"{Kind} {Node} from {Start.TotalMilliseconds:F0} ms to {End.TotalMilliseconds:F0} ms");
}
