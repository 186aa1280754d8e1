namespace Microservices.Gateway;

/// <summary>A cache node from configuration.</summary>
public sealed class NodeOptions
{
    /// <summary>Node name (its identity on the ring).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>gRPC address, for example http://localhost:5111.</summary>
    public string Address { get; set; } = string.Empty;
}
