using Grpc.Net.Client;
using HealthClient = Grpc.Health.V1.Health.HealthClient;
using NodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;

namespace Microservices.Gateway.Membership;

/// <summary>
/// A cache node known to the gateway: its name, address, state, the one channel used to reach it, and what the
/// failure detector keeps about it (consecutive failures, when to probe next).
/// </summary>
public sealed class ClusterNode(string name, Uri address, GrpcChannel channel) : IDisposable
{
    private int _state = (int)MemberState.Up;

    /// <summary>The node's name: its identity on the ring.</summary>
    public string Name { get; } = name;

    /// <summary>Its gRPC address.</summary>
    public Uri Address { get; } = address;

    /// <summary>The client over the node's channel.</summary>
    public NodeClient Client { get; } = new(channel);

    /// <summary>grpc.health.v1 over the same channel, for probes.</summary>
    public HealthClient Health { get; } = new(channel);

    /// <summary>Its membership state.</summary>
    public MemberState State
    {
        get => (MemberState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>Consecutive failed calls and probes; guarded by the failure detector.</summary>
    internal int Failures { get; set; }

    /// <summary>When the next probe is due (TimeProvider timestamp); guarded by the failure detector.</summary>
    internal long NextProbe { get; set; }

    /// <summary>Current wait between probes; guarded by the failure detector.</summary>
    internal TimeSpan ProbeBackoff { get; set; }

    /// <summary>True when requests may use it: not DOWN.</summary>
    public bool IsReachable => State != MemberState.Down;

    /// <inheritdoc/>
    public void Dispose() => channel.Dispose();
}
