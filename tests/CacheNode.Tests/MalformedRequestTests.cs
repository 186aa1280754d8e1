using Microservices.TestSupport;

namespace Microservices.CacheNode.Tests;

public sealed class MalformedRequestTests : IDisposable
{
    private readonly GrpcServiceApp<Program> _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task EveryRpcAnswersInvalidArgumentToARequestThatDoesNotParse()
    {
        var outcomes = await EveryRpc.SendAsync(_app.Channel, headers: null, EveryRpc.MalformedBodies,
            Cache.V1.CacheNode.Descriptor, global::Grpc.Health.V1.Health.Descriptor,
            global::Grpc.Reflection.V1.ServerReflection.Descriptor, global::Grpc.Reflection.V1Alpha.ServerReflection.Descriptor);

        Assert.All(outcomes, o => Assert.True(EveryRpc.IsMalformedRefusal(o), o.ToString()));
    }
}
