namespace Microservices.Gateway.Replication;

/// <summary>Conditional writes: their stamps come after everything their context names.</summary>
public sealed partial class ReplicaCoordinator
{
    /// <summary>
    /// Makes this gateway's next stamps newer than every write <paramref name="context"/> names, so a write stamped
    /// with a client's context is newer than what it descends, a conditional write is newer than everything its
    /// context has seen, and a replica that has applied it refuses every other
    /// write naming the same context (cache.v1 Precondition). False, changing nothing, when a counter is more than
    /// the maximum clock offset ahead of this gateway's clock (<see cref="HybridLogicalClock.Observe"/>).
    /// </summary>
    public bool Observe(CausalContext context)
    {
        ulong newest = 0;
        foreach (var (_, counter) in context.Entries)
        {
            newest = Math.Max(newest, counter);
        }

        return newest == 0 || clock.Observe((long)Math.Min(newest, long.MaxValue));
    }
}
