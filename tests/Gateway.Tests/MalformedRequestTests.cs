using Grpc.Core;
using Microservices.TestSupport;

namespace Microservices.Gateway.Tests;

public sealed class MalformedRequestTests : IDisposable
{
    private readonly GatewayCluster _cluster = new();

    public void Dispose() => _cluster.Dispose();

    [Theory]
    [InlineData(GatewayCluster.AlphaKey)]
    [InlineData(GatewayCluster.AdminKey)]
    public async Task EveryRpcAnswersInvalidArgumentToARequestThatDoesNotParse(string apiKey)
    {
        var outcomes = await EveryRpc.SendAsync(_cluster.GatewayChannel, new Metadata { { "x-api-key", apiKey } }, EveryRpc.MalformedBodies,
            apiKey == GatewayCluster.AdminKey ? V1.Cluster.Descriptor : V1.Cache.Descriptor, global::Grpc.Health.V1.Health.Descriptor,
            global::Grpc.Reflection.V1.ServerReflection.Descriptor, global::Grpc.Reflection.V1Alpha.ServerReflection.Descriptor);

        Assert.All(outcomes, o => Assert.True(EveryRpc.IsMalformedRefusal(o), o.ToString()));
    }
}
