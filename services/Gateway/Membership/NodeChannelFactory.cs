using Grpc.Net.Client;
using Microservices.ServiceDefaults;
using Microservices.ServiceDefaults.ClusterAuth;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Membership;

/// <summary>
/// Creates the one gRPC channel per cache node; every call on it carries the cluster key. Tests replace it to reach
/// in-process nodes.
/// </summary>
public class NodeChannelFactory
{
    private readonly string? _clusterKey;

    /// <summary>Channels that send <c>ClusterAuth:Key</c>.</summary>
    public NodeChannelFactory(IOptions<ClusterAuthOptions> auth) => _clusterKey = auth.Value.Key;

    /// <summary>For subclasses that make their own channels.</summary>
    protected NodeChannelFactory()
    {
    }

    /// <summary>
    /// A channel to the node at <paramref name="address"/>. Disposing it closes its connections (they never idle out
    /// on their own), so a node that left the ring keeps none.
    /// </summary>
    public virtual GrpcChannel Create(string name, Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = GrpcLimits.MaxMessageBytes,
        MaxSendMessageSize = GrpcLimits.MaxMessageBytes,
        DisposeHttpClient = true,
        HttpHandler = new ClusterKeyHandler(_clusterKey)
        {
            InnerHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = TimeSpan.FromSeconds(2),
            },
        },
    });
}
