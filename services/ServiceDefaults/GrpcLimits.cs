namespace Microservices.ServiceDefaults;

/// <summary>Message size limits applied to every gRPC server and client of the project.</summary>
public static class GrpcLimits
{
    /// <summary>
    /// Largest message a server accepts or sends: 16 MiB. Room for a batch of values near the 1 MiB value limit;
    /// larger messages are refused by gRPC with RESOURCE_EXHAUSTED before they reach a handler.
    /// </summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;
}
