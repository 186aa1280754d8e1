using System.ComponentModel.DataAnnotations;

namespace Microservices.Gateway;

/// <summary>Configuration of the gateway (section <c>Gateway</c>).</summary>
public sealed class GatewayOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Gateway";

    /// <summary>This gateway's id: the writer of its versions and their tie-break. Default "gateway-1".</summary>
    [Required(AllowEmptyStrings = false)]
    [StringLength(100)]
    public string GatewayId { get; set; } = "gateway-1";

    /// <summary>Replicas per key (N). Default 3.</summary>
    [Range(1, 9)]
    public int ReplicationFactor { get; set; } = 3;

    /// <summary>Virtual nodes per cache node on the ring. Default 160.</summary>
    [Range(1, 4096)]
    public int VirtualNodes { get; set; } = 160;

    /// <summary>
    /// Which of a key's readable own replicas a read asks first when its level needs fewer than it has: Primary (ring
    /// order, the default), RoundRobin, Weighted (by node weight) or LeastOutstanding (fewest reads in flight, by
    /// power of two choices). SUSPECT replicas are asked last whatever the selection.
    /// </summary>
    [EnumDataType(typeof(Replication.ReadReplicaSelection))]
    public Replication.ReadReplicaSelection ReadReplicaSelection { get; set; } = Replication.ReadReplicaSelection.Primary;

    /// <summary>Deadline of each call to a cache node. Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How far ahead of this gateway's clock a version timestamp seen on a read may be and still move its hybrid
    /// logical clock forward; the cache nodes refuse versions further ahead of theirs (<c>CacheNode:MaxClockOffset</c>,
    /// keep both the same). The clocks of gateways and nodes must stay this close. Default 500 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan MaxClockOffset { get; set; } = ServiceDefaults.HybridTime.DefaultMaxClockOffset;

    /// <summary>
    /// How often this gateway measures its clock's offset from the cache nodes' (<see cref="Replication.ClockOffsetMonitor"/>);
    /// while a majority of the nodes measured are more than half of <see cref="MaxClockOffset"/> away, it refuses to
    /// stamp writes and its health is Unhealthy. Default 2 s; 0 turns the check off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>TTL of a Put that names none. Default 3600 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Largest value accepted, in bytes. Default 1 MiB; at most 15 MiB, so a value and its entry's other fields fit
    /// one message to a node (<see cref="ServiceDefaults.GrpcLimits.MaxConfigurableValueBytes"/>).
    /// </summary>
    [Range(1, ServiceDefaults.GrpcLimits.MaxConfigurableValueBytes)]
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>Consecutive failed calls or probes after which a node is DOWN (skipped). Default 3.</summary>
    [Range(1, 100)]
    public int DownAfterFailures { get; set; } = 3;

    /// <summary>First wait between probes of a SUSPECT or DOWN node; it doubles up to <see cref="MaxProbeInterval"/>. Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between probes. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan MaxProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most hints (writes kept for a node that missed them) held at once. Default 100,000.</summary>
    [Range(0, 10_000_000)]
    public int MaxHints { get; set; } = 100_000;

    /// <summary>Most bytes of hinted values held at once. Default 64 MiB.</summary>
    [Range(0, long.MaxValue)]
    public long MaxHintBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Folder for the gateway's own state: the topology after each membership change, and the hints not yet
    /// delivered, so a restarted gateway keeps them. Empty = not kept (the ring starts from <see cref="Nodes"/>
    /// every time, and hints live in memory only).
    /// </summary>
    public string DataPath { get; set; } = string.Empty;

    /// <summary>
    /// Which incarnation of the cluster this is. A kept topology is used only by a gateway of the same epoch: the
    /// AppHost sets a new one each run, because its cache nodes start empty and as configured.
    /// </summary>
    public string ClusterEpoch { get; set; } = string.Empty;

    /// <summary>The cache nodes the ring starts with.</summary>
    public List<NodeOptions> Nodes { get; set; } = [];

    /// <summary>How this gateway follows the configuration kept in the nodes (<c>Gateway:ClusterConfig</c>).</summary>
    public Membership.ClusterConfigOptions ClusterConfig { get; set; } = new();

    /// <summary>Background comparison and repair of replicas (<c>Gateway:AntiEntropy</c>).</summary>
    public Rebalancing.AntiEntropyOptions AntiEntropy { get; set; } = new();
}
