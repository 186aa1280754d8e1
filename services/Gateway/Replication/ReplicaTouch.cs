namespace Microservices.Gateway.Replication;

/// <summary>
/// A touch at some consistency: the own replicas that extended the version read, how many were needed, how many
/// answered at all, and whether one holds a newer version (a write that came in after the read, which wins).
/// </summary>
public sealed record ReplicaTouch(
    IReadOnlyList<string> ExtendedBy, int Required, int Answered, bool Superseded, long ExpiresAtMs, IReadOnlyList<string> Failures)
{
    /// <summary>True when enough own replicas answered, whatever they answered.</summary>
    public bool Satisfied => Answered >= Required;

    /// <summary>True when enough own replicas extended the version and none holds a newer one.</summary>
    public bool Touched => ExtendedBy.Count >= Required && !Superseded;

    /// <summary>"2 of 3 replicas extended it, 2 needed (cache-node-2: Unavailable)".</summary>
    public string Describe() =>
        $"{Answered} replicas answered, {Required} needed" +
        (Failures.Count > 0 ? $" ({string.Join(", ", Failures)})" : string.Empty);
}
