using Grpc.Net.Client;
using NodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;

namespace Microservices.Gateway.Membership;

/// <summary>A cache node known to the gateway: its name, address, state and the one channel used to reach it.</summary>
public sealed class ClusterNode(string name, Uri address, GrpcChannel channel) : IDisposable
{
    private int _state = (int)MemberState.Up;

    /// <summary>The node's name: its identity on the ring.</summary>
    public string Name { get; } = name;

    /// <summary>Its gRPC address.</summary>
    public Uri Address { get; } = address;

    /// <summary>The client over the node's channel.</summary>
    public NodeClient Client { get; } = new(channel);

    /// <summary>Its membership state.</summary>
    public MemberState State
    {
        get => (MemberState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <inheritdoc/>
    public void Dispose() => channel.Dispose();
}
