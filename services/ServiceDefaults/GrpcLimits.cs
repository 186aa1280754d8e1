namespace Microservices.ServiceDefaults;

/// <summary>Message size limits applied to every gRPC server and client of the project.</summary>
public static class GrpcLimits
{
    /// <summary>
    /// Largest message a server accepts or sends: 16 MiB. Room for a batch of values near the 1 MiB value limit;
    /// larger messages are refused by gRPC with RESOURCE_EXHAUSTED before they reach a handler.
    /// </summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>
    /// The largest value any service may be configured to accept: 15 MiB, so that a value with its key, version and
    /// other fields fits one message (<see cref="MaxMessageBytes"/>) on every hop: a Put to a node, a Scan page, a
    /// copy to a new replica, a hint replayed.
    /// </summary>
    public const int MaxConfigurableValueBytes = 15 * 1024 * 1024;
}
