using Microservices.Cache.V1;

namespace Microservices.Gateway.Replication;

/// <summary>
/// A read at some consistency: the newest entry among the replicas that answered (a live value, a tombstone, or
/// null when none had the key), how many answered against how many were needed, and, when they disagreed and the
/// read had to repair them before answering (QUORUM, ALL), why the repair fell short (<paramref name="Unrepaired"/>,
/// null when it did not): then the read is not satisfied, as answering either version could break monotonic reads.
/// A session read whose replicas are all older than the session has seen is not satisfied either
/// (<see cref="Behind"/>).
/// </summary>
public sealed record ReplicaRead(Entry? Newest, int Answered, int Required, IReadOnlyList<string> Failures, string? Unrepaired = null)
{
    /// <summary>
    /// Why no replica's answer is new enough for the session (see <c>ReplicaCoordinator.CatchUpAsync</c>); null when
    /// one is, or the read had no session.
    /// </summary>
    public string? Behind { get; init; }

    /// <summary>True when enough replicas answered, and hold the newest version if they had to be repaired.</summary>
    public bool Satisfied => Answered >= Required && Unrepaired is null && Behind is null;

    /// <summary>
    /// "1 replicas answered, 2 needed (cache-node-2: Unavailable)", or for a repair that fell short "2 replicas
    /// answered and disagree; read repair wrote the newest version to 1 of the 2 replicas needed (...)".
    /// </summary>
    public string Describe() => Behind ?? (Unrepaired is not null
        ? $"{Answered} replicas answered and disagree; read repair {Unrepaired}"
        : $"{Answered} replicas answered, {Required} needed" +
            (Failures.Count > 0 ? $" ({string.Join(", ", Failures)})" : string.Empty));
}
