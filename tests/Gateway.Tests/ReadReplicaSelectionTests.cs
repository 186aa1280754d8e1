using Microservices.Gateway.Membership;
using Microservices.Gateway.Replication;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>
/// <c>Gateway:ReadReplicaSelection</c> through the gateway: reads at ONE over three real nodes, counted on the links
/// to them, and a replica whose link holds every call (a node that has become very slow).
/// </summary>
public sealed class ReadReplicaSelectionTests
{
    private const string Key = "spread";

    [Theory]
    [InlineData("Primary", 30, 0, 0)]
    [InlineData("RoundRobin", 10, 10, 10)]
    public async Task ReadsAtOneGoToTheReplicasTheSelectionNames(string selection, int owner, int second, int third)
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:ReadReplicaSelection"] = selection });
        var (cache, order) = await WrittenAsync(cluster);
        var before = order.Select(node => cluster.Links[node].Calls).ToArray();

        for (var i = 0; i < 30; i++)
        {
            Assert.True((await cache.GetAsync(new GetRequest { Key = Key, Consistency = V1.Consistency.One })).Found);
        }

        Assert.Equal([owner, second, third], order.Select((node, i) => cluster.Links[node].Calls - before[i]));
    }

    [Theory]
    [InlineData(ReadReplicaSelection.LeastOutstanding, 1)]
    [InlineData(ReadReplicaSelection.Primary, 20)]
    public async Task LeastOutstandingSteersReadsAwayFromAReplicaThatDoesNotAnswer(ReadReplicaSelection selection, int held)
    {
        // The deadline is far off, so the held replica is never found failing: only the selection steers reads.
        using var cluster = new GatewayCluster(
            settings: new() { ["Gateway:ReplicaTimeout"] = "00:01:00" },
            services: s => s.AddSingleton(new ReplicaSelector(selection, new Random(7))));
        var (cache, order) = await WrittenAsync(cluster);
        var slow = cluster.GatewayServices.GetRequiredService<ClusterMembership>().View.Nodes[order[0]];
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.Links[order[0]].Hold = hold;

        // One read at a time: each has chosen its replica (it answered, or waits on the held one) before the next.
        var reads = new List<Task<GetResponse>>();
        for (var i = 0; i < 20; i++)
        {
            var inFlight = slow.ReadsInFlight;
            var read = cache.GetAsync(new GetRequest { Key = Key, Consistency = V1.Consistency.One }).ResponseAsync;
            reads.Add(read);
            while (!read.IsCompleted && slow.ReadsInFlight == inFlight)
            {
                await Task.Delay(5);
            }
        }

        Assert.Equal(held, reads.Count(read => !read.IsCompleted));
        hold.SetResult();
        Assert.All(await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(30)), reply => Assert.True(reply.Found));
    }

    [Theory]
    [InlineData("RoundRobin")]
    [InlineData("Weighted")]
    [InlineData("LeastOutstanding")]
    public async Task ASuspectReplicaIsAskedLastWhateverTheSelection(string selection)
    {
        using var cluster = new GatewayCluster(settings: new()
        {
            ["Gateway:ReadReplicaSelection"] = selection,
            ["Gateway:DownAfterFailures"] = "100",
            ["Gateway:Nodes:0:Weight"] = "3",
        });
        var (cache, order) = await WrittenAsync(cluster);
        cluster.Links[order[1]].Down = true;
        await cache.PutAsync(new PutRequest { Key = Key, Text = "v", Consistency = V1.Consistency.One });
        Assert.Equal(NodeState.Suspect, await cluster.StateOfAsync(order[1]));
        var before = cluster.Links[order[1]].Calls;

        for (var i = 0; i < 30; i++)
        {
            Assert.True((await cache.GetAsync(new GetRequest { Key = Key, Consistency = V1.Consistency.One })).Found);
        }

        Assert.Equal(before, cluster.Links[order[1]].Calls);
    }

    private static async Task<(V1.Cache.CacheClient Cache, string[] Order)> WrittenAsync(GatewayCluster cluster)
    {
        var order = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = Key, Tenant = "bulk" })).Nodes.ToArray();
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        await cache.PutAsync(new PutRequest { Key = Key, Text = "v", Consistency = V1.Consistency.All });
        return (cache, order);
    }
}
