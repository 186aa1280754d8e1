namespace Microservices.Gateway.Membership;

/// <summary>A cache node's membership state as this gateway sees it.</summary>
public enum MemberState
{
    /// <summary>Serving reads and writes.</summary>
    Up,

    /// <summary>Recent errors; still used, but asked last for reads.</summary>
    Suspect,

    /// <summary>Not answering; skipped.</summary>
    Down,

    /// <summary>Receiving its ranges; takes writes, not reads.</summary>
    Joining,

    /// <summary>Handing off its ranges before leaving.</summary>
    Leaving,

    /// <summary>
    /// Back after being DOWN, maybe restarted empty: takes writes, but is not read (nor counted for a read level)
    /// until the hints held for it and its resync have landed; then UP.
    /// </summary>
    Recovering,
}
