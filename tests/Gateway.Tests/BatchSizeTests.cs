using Microservices.Gateway.Replication;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>Whatever the gateway accepts fits every message it sends on: batches are bounded by bytes as well as items.</summary>
public sealed class BatchSizeTests
{
    private const int ValueBytes = 16_763;

    // 1000 items of 16,763 bytes: a request just under the 16 MiB message limit, which the gateway accepts. Each
    // node's share, with the tenant's namespace, versions and expiry added to every entry, is over it.
    private static MultiPutRequest Largest(V1.Consistency level)
    {
        var value = Google.Protobuf.ByteString.CopyFrom(new byte[ValueBytes]);
        var request = new MultiPutRequest { Consistency = level };
        request.Items.AddRange(Enumerable.Range(0, 1000).Select(i => new PutRequest { Key = $"k{i:D3}", Data = value }));
        Assert.InRange(request.CalculateSize(), GrpcLimits.MaxMessageBytes - 1000, GrpcLimits.MaxMessageBytes);
        return request;
    }

    [Fact]
    public async Task TheLargestMultiPutTheGatewayAcceptsIsWrittenToEveryReplicaWithoutHints()
    {
        // A generous deadline: 16 MiB to each of three in-process nodes on a busy test machine.
        using var cluster = new GatewayCluster(settings: new()
        {
            ["Gateway:MaxValueBytes"] = "1048576",
            ["Gateway:ReplicaTimeout"] = "00:00:30",
        });
        var cache = cluster.Cache(GatewayCluster.BulkKey);

        var reply = await cache.MultiPutAsync(Largest(V1.Consistency.All));

        Assert.All(reply.Items, item => Assert.True(item.Ok, item.Error));
        Assert.Equal(0, cluster.GatewayServices.GetRequiredService<HintStore>().Count);
        foreach (var node in cluster.Links.Keys)
        {
            Assert.True((await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = "bulk/k999" })).Found);
        }
    }

    [Fact]
    public async Task AMultiGetWhoseAnswersDoNotFitOneNodeMessageIsAskedInParts()
    {
        // The gateway takes messages of up to 1 MiB from its nodes here, in place of the 16 MiB limit.
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxValueBytes"] = "1048576" }, nodeMessageBytes: 1024 * 1024);
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var value = Google.Protobuf.ByteString.CopyFrom(new byte[20_000]);
        var put = new MultiPutRequest { Consistency = V1.Consistency.All };
        put.Items.AddRange(Enumerable.Range(0, 100).Select(i => new PutRequest { Key = $"k{i}", Data = value }));
        Assert.All((await cache.MultiPutAsync(put)).Items, item => Assert.True(item.Ok, item.Error));

        // At ONE a single node holds all 100 keys: 2 MB of answers.
        var read = await cache.MultiGetAsync(new MultiGetRequest { Keys = { put.Items.Select(item => item.Key) }, Consistency = V1.Consistency.One });
        Assert.All(read.Items, item => Assert.Equal(value.Length, item.Data.Length));
    }
}
