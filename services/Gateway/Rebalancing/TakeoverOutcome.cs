namespace Microservices.Gateway.Rebalancing;

/// <summary>What <see cref="ClusterAdmin.TakeOverAsync"/> did.</summary>
public enum TakeoverOutcome
{
    /// <summary>Nothing: no change is halfway, or its lease runs (or this gateway's clock is too far off to tell).</summary>
    None,

    /// <summary>The claim was not committed: another gateway claimed the change first, or no majority answered.</summary>
    Refused,

    /// <summary>Claimed, copied, and the new ring committed.</summary>
    Finished,

    /// <summary>Claimed, but the copy failed: the ring as it was is committed.</summary>
    Reverted,

    /// <summary>
    /// Claimed, but not ended here: its end was not committed, another gateway claimed it in turn, or this gateway
    /// is stopping. The change stays halfway until a claim ends it.
    /// </summary>
    Unfinished,
}
