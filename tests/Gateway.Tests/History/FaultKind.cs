namespace Microservices.Gateway.Tests.History;

/// <summary>What the nemesis does to a link.</summary>
internal enum FaultKind
{
    /// <summary>Calls are held until the fault ends, then delivered (SIGSTOP, then SIGCONT).</summary>
    Pause,

    /// <summary>Calls fail at once (the process is gone, or the network cut).</summary>
    Cut,

    /// <summary>Calls are delayed by a random time up to 400 ms each, so they overtake each other.</summary>
    Delay,
}
