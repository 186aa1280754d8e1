using Microservices.TestSupport;

namespace Microservices.LogCollector.Tests;

public sealed class MalformedRequestTests : IDisposable
{
    private readonly CollectorApp _collector = new();

    public void Dispose() => _collector.Dispose();

    [Fact]
    public async Task EveryRpcAnswersInvalidArgumentToARequestThatDoesNotParse()
    {
        var outcomes = await EveryRpc.SendAsync(_collector.App.Channel, headers: null, EveryRpc.MalformedBodies,
            Logs.V1.LogCollector.Descriptor, OpenTelemetry.Proto.Collector.Logs.V1.LogsService.Descriptor, global::Grpc.Health.V1.Health.Descriptor,
            global::Grpc.Reflection.V1.ServerReflection.Descriptor, global::Grpc.Reflection.V1Alpha.ServerReflection.Descriptor);

        Assert.All(outcomes, o => Assert.True(EveryRpc.IsMalformedRefusal(o), o.ToString()));
    }
}
