namespace Microservices.Gateway.Membership;

/// <summary>A cache node's membership state as this gateway sees it.</summary>
public enum MemberState
{
    /// <summary>Serving reads and writes.</summary>
    Up,

    /// <summary>Recent errors; still used.</summary>
    Suspect,

    /// <summary>Not answering; skipped.</summary>
    Down,

    /// <summary>Receiving its ranges; takes writes, not reads.</summary>
    Joining,

    /// <summary>Handing off its ranges before leaving.</summary>
    Leaving,
}
