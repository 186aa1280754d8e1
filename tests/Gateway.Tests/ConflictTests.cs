using System.Diagnostics;
using System.Diagnostics.Metrics;
using Google.Protobuf;
using Grpc.Core;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>
/// Concurrent writes end to end: a second writer ("gateway-2") stamps writes straight onto the nodes, as another
/// gateway that has not seen this one's writes would; the gateway under test is "gateway-1".
/// </summary>
public sealed class ConflictTests
{
    private static readonly Dictionary<string, string?> BetaKeepsSiblings = new() { ["Security:ApiKeys:1:ConflictPolicy"] = "Siblings" };

    // A write by gateway-2, `aheadMs` past the cluster's clock, that has seen nothing of gateway-1's.
    private static Cache.V1.Entry OtherWriter(GatewayCluster cluster, string storedKey, string text, long aheadMs, bool keepSiblings)
    {
        var timestamp = HybridTime.FromWallMilliseconds(cluster.Time.GetUtcNow().ToUnixTimeMilliseconds() + aheadMs);
        return new Cache.V1.Entry
        {
            Key = storedKey,
            Value = ByteString.CopyFromUtf8(text),
            Kind = Cache.V1.ValueKind.Text,
            Version = new Cache.V1.Version { Timestamp = timestamp, Writer = "gateway-2", Vector = { new Cache.V1.VersionCounter { Writer = "gateway-2", Counter = (ulong)timestamp } } },
            KeepSiblings = keepSiblings,
        };
    }

    private static async Task WriteOnNodesAsync(GatewayCluster cluster, Cache.V1.Entry entry, params string[] nodes)
    {
        foreach (var node in nodes.Length > 0 ? nodes : ["node-1", "node-2", "node-3"])
        {
            await cluster.Node(node).PutAsync(new Cache.V1.PutRequest { Entry = entry });
        }
    }

    private static string[] Texts(GetResponse reply) => reply.Siblings.Count > 0 ? [.. reply.Siblings.Select(s => s.Text)] : [reply.Text];

    [Fact]
    public async Task UnderLastWriterWinsABlindWriteOverAConcurrentOneIsCountedAndNamedOnItsSpanWhileAWriteWithTheContextIsNot()
    {
        using var cluster = new GatewayCluster();
        var conflicts = new List<(string Policy, string Outcome)>();
        using var meters = ListenToConflicts(cluster, conflicts);
        var events = new List<ActivityEvent>();
        using var spans = ListenToConflictEvents(events);
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "mine" });
        var other = OtherWriter(cluster, "alpha/k", "theirs", aheadMs: 10, keepSiblings: false);
        await WriteOnNodesAsync(cluster, other);
        cluster.Time.Advance(TimeSpan.FromMilliseconds(20));

        await cache.PutAsync(new PutRequest { Key = "k", Text = "blind" });

        Assert.Equal([("last_writer_wins", "won")], conflicts);
        // The listener hears every gateway in the process, and other tests run beside this one: only events naming
        // the version written here count.
        var overwritten = $"{other.Version.Timestamp}@gateway-2";
        ActivityEvent[] heard;
        lock (events)
        {
            heard = [.. events];
        }

        Assert.Single(heard, e => e.Tags.Any(t => t.Key == "cache.conflict.concurrent_version" && Equals(t.Value, overwritten)));
        Assert.Equal("blind", (await cache.GetAsync(new GetRequest { Key = "k" })).Text);

        // A write that names what it read descends it: no conflict.
        await WriteOnNodesAsync(cluster, OtherWriter(cluster, "alpha/k", "theirs again", aheadMs: 10, keepSiblings: false));
        var read = await cache.GetAsync(new GetRequest { Key = "k" });
        Assert.Equal("theirs again", read.Text);
        var put = await cache.PutAsync(new PutRequest { Key = "k", Text = "informed", Context = read.Context });
        Assert.Single(conflicts);
        Assert.NotEmpty(put.Context);
    }

    [Fact]
    public async Task UnderSiblingsGetReturnsEveryConcurrentValueAndAPutWithItsContextResolvesThem()
    {
        using var cluster = new GatewayCluster(settings: BetaKeepsSiblings);
        var cache = cluster.Cache(GatewayCluster.BetaKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "mine" });
        await WriteOnNodesAsync(cluster, OtherWriter(cluster, "beta/k", "theirs", aheadMs: 10, keepSiblings: true));

        var read = await cache.GetAsync(new GetRequest { Key = "k" });

        Assert.True(read.Found);
        Assert.Equal("theirs", read.Text);
        Assert.Equal(["theirs", "mine"], Texts(read));
        Assert.Equal(["gateway-2", "gateway-1"], read.Siblings.Select(s => s.Version.Writer));

        cluster.Time.Advance(TimeSpan.FromMilliseconds(20));
        await cache.PutAsync(new PutRequest { Key = "k", Text = "merged", Context = read.Context });
        var after = await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.All });
        Assert.Equal(["merged"], Texts(after));
        Assert.Empty(after.Siblings);
    }

    [Fact]
    public async Task APutThatAsksForSiblingsKeepsThemForATenantThatDefaultsToLastWriterWins()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await WriteOnNodesAsync(cluster, OtherWriter(cluster, "alpha/k", "theirs", aheadMs: -100, keepSiblings: true));

        await cache.PutAsync(new PutRequest { Key = "k", Text = "mine", ConflictPolicy = ConflictPolicy.Siblings });

        Assert.Equal(["mine", "theirs"], Texts(await cache.GetAsync(new GetRequest { Key = "k" })));
    }

    [Fact]
    public async Task ASiblingHeldByOneReplicaIsMergedByTheReadAndRepairedOntoReplicasThatHoldTheSameNewestValue()
    {
        using var cluster = new GatewayCluster(settings: BetaKeepsSiblings);
        var cache = cluster.Cache(GatewayCluster.BetaKey);
        var replicas = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = "k", Tenant = "beta" })).Nodes;

        // Every replica holds gateway-2's value; only the first also holds an older concurrent one, from gateway-3.
        var theirs = OtherWriter(cluster, "beta/k", "theirs", aheadMs: 10, keepSiblings: true);
        await WriteOnNodesAsync(cluster, theirs);
        var older = OtherWriter(cluster, "beta/k", "older", aheadMs: -10, keepSiblings: true);
        older.Version.Writer = "gateway-3";
        older.Version.Vector[0].Writer = "gateway-3";
        await WriteOnNodesAsync(cluster, older, replicas[0]);

        var read = await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.All });

        Assert.Equal(["theirs", "older"], Texts(read));
        foreach (var replica in replicas)
        {
            var held = (await cluster.Node(replica).GetAsync(new Cache.V1.GetRequest { Key = "beta/k" })).Entry;
            Assert.Equal(["theirs", "older"], [held.Value.ToStringUtf8(), .. held.Siblings.Select(s => s.Value.ToStringUtf8())]);
        }
    }

    [Fact]
    public async Task SiblingsMoveWithTheirKeyToANodeThatJoins()
    {
        using var cluster = new GatewayCluster(spares: 1, settings: BetaKeepsSiblings);
        var cache = cluster.Cache(GatewayCluster.BetaKey);
        var keys = Enumerable.Range(0, 40).Select(i => $"k{i}").ToArray();
        foreach (var key in keys)
        {
            await cache.PutAsync(new PutRequest { Key = key, Text = "mine", Consistency = V1.Consistency.All });
            await WriteOnNodesAsync(cluster, OtherWriter(cluster, $"beta/{key}", "theirs", aheadMs: 10, keepSiblings: true));
        }

        await cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });

        var moved = 0;
        foreach (var key in keys)
        {
            var replicas = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = key, Tenant = "beta" })).Nodes;
            if (replicas.Contains("node-4"))
            {
                moved++;
                var held = (await cluster.Node("node-4").GetAsync(new Cache.V1.GetRequest { Key = $"beta/{key}" })).Entry;
                Assert.Equal(["theirs", "mine"], [held.Value.ToStringUtf8(), .. held.Siblings.Select(s => s.Value.ToStringUtf8())]);
            }
        }

        Assert.True(moved > 0);
    }

    [Fact]
    public async Task ABadContextOrConflictPolicyIsRefusedNamingTheFieldAndNothingIsWritten()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var ahead = HybridTime.FromWallMilliseconds(cluster.Time.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds());
        var future = new Cache.V1.ContextVector { Vector = { new Cache.V1.VersionCounter { Writer = "gateway-2", Counter = (ulong)ahead } } };

        foreach (var (request, message) in new (PutRequest, string)[]
        {
            (new PutRequest { Key = "k", Text = "v", Context = ByteString.CopyFrom(0xFF, 0xFF, 0xFF) }, "context is not a context returned by this cache"),
            (new PutRequest { Key = "k", Text = "v", Context = future.ToByteString() }, "context holds a timestamp more than the maximum clock offset (Gateway:MaxClockOffset)"),
            (new PutRequest { Key = "k", Text = "v", ConflictPolicy = (ConflictPolicy)7 }, "conflict_policy must be CONFLICT_POLICY_LAST_WRITER_WINS or CONFLICT_POLICY_SIBLINGS, got 7"),
        })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(request).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.StartsWith(message, error.Status.Detail, StringComparison.Ordinal);
        }

        Assert.False((await cache.GetAsync(new GetRequest { Key = "k" })).Found);
        var next = await cache.PutAsync(new PutRequest { Key = "k", Text = "v" });
        Assert.True(HybridTime.WallMilliseconds(next.Version.Timestamp) <= cluster.Time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    private static MeterListener ListenToConflicts(GatewayCluster cluster, List<(string, string)> conflicts)
    {
        var factory = cluster.GatewayServices.GetRequiredService<IMeterFactory>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "gateway.conflicts" && instrument.Meter.Scope == factory)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? policy = null, outcome = null;
            foreach (var tag in tags)
            {
                policy = tag.Key == "policy" ? tag.Value as string : policy;
                outcome = tag.Key == "outcome" ? tag.Value as string : outcome;
            }

            lock (conflicts)
            {
                conflicts.Add((policy!, outcome!));
            }
        });
        listener.Start();
        return listener;
    }

    private static ActivityListener ListenToConflictEvents(List<ActivityEvent> events)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GatewayTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                foreach (var e in activity.Events)
                {
                    if (e.Name == "cache.conflict" && e.Tags.Any(t => t.Key == "cache.conflict.concurrent_version" && (t.Value as string ?? string.Empty).EndsWith("@gateway-2", StringComparison.Ordinal)))
                    {
                        lock (events)
                        {
                            events.Add(e);
                        }
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
