using Microservices.Gateway.V1;
using Microservices.TestSupport.History;

namespace Microservices.Gateway.Tests;

/// <summary>
/// The fourth anomaly of issue 15: a write that failed (UNAVAILABLE) but reached one replica. It may still appear
/// later, but once a QUORUM read has answered it, it must not disappear: that read leaves it on a quorum of the key's
/// replicas before answering (blocking read repair), so every later QUORUM read meets it. The calls are recorded and
/// their history checked, so a failure prints it.
/// </summary>
public sealed class FailedWriteTests
{
    [Fact]
    public async Task AFailedWriteThatAQuorumReadSawIsNeverUnseenByALaterQuorumRead()
    {
        // No hints: nothing but the reads themselves brings the failed write to the replicas that missed it.
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var order = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = "k", Tenant = "alpha" })).Nodes.ToArray();
        var history = new HistoryRecorder();
        Task<Outcome> Write(string value) => history.WriteAsync(0, "k", value, async () =>
            (await cache.PutAsync(new PutRequest { Key = "k", Text = value, Consistency = V1.Consistency.All })).Version.Timestamp);
        Task<Outcome> Read() => history.ReadAsync(0, "k", async () =>
        {
            var reply = await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.Quorum });
            return reply.Found ? (reply.Text, reply.Version.Timestamp) : (null, null);
        });

        Assert.Equal(Outcome.Ok, await Write("v1"));

        // v2 reaches only the first replica.
        cluster.Links[order[1]].RefusedMethods = ["Put", "MultiPut"];
        cluster.Links[order[2]].RefusedMethods = ["Put", "MultiPut"];
        Assert.Equal(Outcome.Indeterminate, await Write("v2"));
        cluster.Links[order[1]].RefusedMethods = [];
        cluster.Links[order[2]].RefusedMethods = [];

        // The first read is answered by the first and third replicas (the second is cut), which disagree; the third
        // is slow, so a repair sent to it takes a while to land.
        cluster.Links[order[1]].Down = true;
        cluster.Links[order[2]].Delay = TimeSpan.FromMilliseconds(300);
        await Read();

        // The second read is answered by the second and third replicas (the first is cut), the third no longer slow:
        // a repair still on its way there would arrive after this read.
        cluster.Links[order[2]].Delay = TimeSpan.Zero;
        cluster.Links[order[0]].Down = true;
        cluster.Links[order[1]].Down = false;
        Assert.Equal(Outcome.Ok, await Read());

        var verdict = LinearizabilityChecker.Check(history.Operations);
        Assert.True(verdict.Anomalies.Count == 0, verdict.Describe(history.Origin));
    }
}
