using Grpc.Core;
using Microservices.Gateway.Membership;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>Requests planned on the view before a membership change, still running when it happens.</summary>
public sealed class InFlightDuringMembershipChangeTests
{
    private const int Keys = 200;

    [Theory]
    [InlineData("fail")]
    [InlineData("remove")]
    public async Task RequestsInFlightWhenANodeLeavesCompleteOrFailOver(string change)
    {
        using var cluster = new GatewayCluster(nodes: 4, settings: new() { ["Gateway:ReplicaTimeout"] = "00:00:10" });
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var fill = new MultiPutRequest { Consistency = V1.Consistency.All };
        fill.Items.AddRange(Enumerable.Range(0, Keys).Select(i => new PutRequest { Key = $"k{i}", Text = $"v{i}" }));
        Assert.All((await cache.MultiPutAsync(fill)).Items, item => Assert.True(item.Ok, item.Error));

        // node-4 hangs, so a call to it is in flight and more wait behind it when it leaves.
        var link = cluster.Links["node-4"];
        link.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callsBefore = link.Calls;
        var reads = Enumerable.Range(0, Keys).Select(i => cache.GetAsync(new GetRequest { Key = $"k{i}" }).ResponseAsync).ToArray();
        var writes = Enumerable.Range(0, Keys).Select(i => cache.PutAsync(new PutRequest { Key = $"w{i}", Text = "w" }).ResponseAsync).ToArray();
        var waitUntil = DateTime.UtcNow.AddSeconds(10);
        while (link.Calls < callsBefore + 2 && DateTime.UtcNow < waitUntil)
        {
            await Task.Delay(5);
        }

        Assert.True(link.Calls >= callsBefore + 2, "no call reached node-4");

        if (change == "fail")
        {
            await cluster.Cluster().HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-4" });
        }
        else
        {
            await cluster.Cluster().RemoveNodeAsync(new RemoveNodeRequest { Name = "node-4" });
        }

        link.Hold.SetResult();
        var read = await Task.WhenAll(reads);
        var written = await Task.WhenAll(writes);
        Assert.All(read.Select((reply, i) => (reply, i)), r => Assert.Equal($"v{r.i}", r.reply.Text));
        Assert.All(written, reply => Assert.True(reply.AcknowledgedBy.Count >= 2));
    }

    [Theory]
    [InlineData("fail")]
    [InlineData("remove")]
    public async Task ANodeOfAViewBeforeTheChangeAnswersUnavailableOnceItLeft(string change)
    {
        using var cluster = new GatewayCluster(nodes: 4);
        var planned = cluster.GatewayServices.GetRequiredService<ClusterMembership>().View;

        if (change == "fail")
        {
            await cluster.Cluster().HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-4" });
        }
        else
        {
            await cluster.Cluster().RemoveNodeAsync(new RemoveNodeRequest { Name = "node-4" });
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => planned.Nodes["node-4"].Client.GetStatsAsync(new Cache.V1.GetStatsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("node-4", error.Status.Detail, StringComparison.Ordinal);
    }
}
