namespace Microservices.Gateway;

/// <summary>A cache node from configuration.</summary>
public sealed class NodeOptions
{
    /// <summary>Node name (its identity on the ring).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>gRPC address, for example http://localhost:5111.</summary>
    public string Address { get; set; } = string.Empty;

    /// <summary>
    /// Relative capacity, an integer from 1 to 100 (default 1): the node has this many times
    /// <c>Gateway:VirtualNodes</c> positions on the ring, so its share of keys is proportional to it, and
    /// <c>Weighted</c> read selection asks it in proportion to it.
    /// </summary>
    public int Weight { get; set; } = 1;
}
