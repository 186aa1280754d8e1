using Grpc.Core;
using Microservices.Logs.V1;
using Microservices.TestSupport;

namespace Microservices.LogCollector.Tests;

public sealed class ClusterKeyTests : IDisposable
{
    private const string ClusterKey = "cluster-key-for-tests";
    private const string ApplicationKey = "an-application-key";

    private readonly CollectorApp _collector = new(new()
    {
        ["ClusterAuth:Key"] = ClusterKey,
        ["ClusterAuth:ApplicationKeys:0"] = ApplicationKey,
    });

    public void Dispose() => _collector.Dispose();

    [Fact]
    public async Task EveryRpcRefusesACallerWithoutAKey()
    {
        var outcomes = await EveryRpc.SendAsync(
            _collector.App.Channel, headers: null, EveryRpc.EmptyBody,
            Logs.V1.LogCollector.Descriptor, OpenTelemetry.Proto.Collector.Logs.V1.LogsService.Descriptor);

        Assert.All(outcomes, o => Assert.True(
            o.Code == StatusCode.Unauthenticated && o.Detail.StartsWith("this internal service needs the cluster key", StringComparison.Ordinal),
            o.ToString()));
    }

    [Fact]
    public async Task AnApplicationShipsLogsWithItsOwnKeyAndTheClusterKeyReadsThem()
    {
        var client = _collector.Client;
        var write = new WriteRequest();
        write.Entries.Add(CollectorApp.Entry(Level.Error, service: "checkout"));
        Assert.Equal(1UL, (await client.WriteAsync(write, new Metadata { { "x-api-key", ApplicationKey } })).Summary.Accepted);

        var rate = await client.GetErrorRateAsync(new GetErrorRateRequest { Service = "checkout" }, new Metadata { { "x-cluster-key", ClusterKey } });
        Assert.Equal(1UL, rate.Errors);

        var wrong = await Assert.ThrowsAsync<RpcException>(() =>
            client.WriteAsync(write, new Metadata { { "x-api-key", "not-" + ApplicationKey } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.StartsWith("unknown application key", wrong.Status.Detail, StringComparison.Ordinal);
    }
}
