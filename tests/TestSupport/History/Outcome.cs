namespace Microservices.TestSupport.History;

/// <summary>How a recorded operation ended, as the client saw it.</summary>
public enum Outcome
{
    /// <summary>Succeeded: a write took effect between its invocation and completion; a read saw its value then.</summary>
    Ok,

    /// <summary>Definitely not applied: only where the status proves it (the request was refused before any replica saw it).</summary>
    Failed,

    /// <summary>
    /// May or may not have taken effect (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, ...): a write may take effect at any
    /// time after its invocation, with no upper bound, or never; a read tells nothing.
    /// </summary>
    Indeterminate,
}
