namespace Aspire.Hosting;

/// <summary>Choices for <see cref="MicroservicesClusterExtensions.AddMicroservicesCluster"/>.</summary>
public sealed class MicroservicesClusterOptions
{
    /// <summary>
    /// The gateway's gRPC port, from which every other port follows: ratelimiter +1, logcollector +2, cache-node-N
    /// +10+N (at most 9 nodes, the spare included), and each service's HTTP/1.1 port (curl, /health, /alive) its gRPC
    /// port +80. Null (default): Aspire chooses every port.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>
    /// Declares one more node, <c>cache-node-(nodes + 1)</c>, that is not started with the rest and not on the ring: its
    /// dashboard command "Join cluster" starts it and adds it (the scale-out demo). Default false.
    /// </summary>
    public bool SpareNode { get; set; }

    /// <summary>
    /// The folder of the gateway's files: its origin database (<c>origin.db</c>, SQLite) and its own state
    /// (<c>gateway/</c>: kept topology and hints). Default: <c>.data/&lt;name&gt;</c> under the AppHost's directory.
    /// </summary>
    public string? DataFolder { get; set; }

    /// <summary>
    /// How many gateways, 1 to <see cref="Microservices.Hosting.ClusterPorts.MaxGateways"/>: the first is named as
    /// given to AddMicroservicesCluster, the others <c>&lt;name&gt;-2</c>, <c>&lt;name&gt;-3</c>, ...; each has its own
    /// writer id (its resource name) and state folder, all serve the whole key space with the same keys and follow
    /// one cluster configuration kept in the nodes. With fixed ports, gateway k listens on the first one's port
    /// +3+k (5105 for the second), HTTP/1.1 +80. Default 1.
    /// </summary>
    public int Gateways { get; set; } = 1;

    /// <summary>The tenant of the development API key (parameter <c>&lt;name&gt;-api-key</c>). Default <c>dev</c>.</summary>
    public string Tenant { get; set; } = "dev";
}
