using Grpc.Net.Client;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Membership;

/// <summary>Creates the one gRPC channel per cache node. Tests replace it to reach in-process nodes.</summary>
public class NodeChannelFactory
{
    /// <summary>
    /// A channel to the node at <paramref name="address"/>. Disposing it closes its connections (they never idle out
    /// on their own), so a node that left the ring keeps none.
    /// </summary>
    public virtual GrpcChannel Create(string name, Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = GrpcLimits.MaxMessageBytes,
        MaxSendMessageSize = GrpcLimits.MaxMessageBytes,
        DisposeHttpClient = true,
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        },
    });
}
