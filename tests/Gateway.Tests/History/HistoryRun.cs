using System.Globalization;
using Microservices.Gateway.V1;
using Microservices.TestSupport.History;

namespace Microservices.Gateway.Tests.History;

/// <summary>
/// One recorded run: a cluster of <c>nodes</c> in process, a <see cref="ClientWorkload"/> at the given levels for 5 s, and a
/// <see cref="Nemesis"/> over every node's link, while the cluster's clock runs five times faster than real time
/// (so the gateway probes, marks nodes DOWN and brings them back within the run). The seed
/// (<see cref="ClientWorkload.Seed"/>) fixes the faults and the clients' choices; <see cref="Describe"/> names it.
/// </summary>
internal sealed class HistoryRun
{
    private static readonly TimeSpan Length = TimeSpan.FromSeconds(5);

    private HistoryRun(HistoryRecorder recorder, Nemesis nemesis, int nodes)
    {
        Recorder = recorder;
        Nemesis = nemesis;
        Nodes = nodes;
    }

    public HistoryRecorder Recorder { get; }

    public Nemesis Nemesis { get; }

    public int Nodes { get; }

    public IReadOnlyList<Operation> Operations => Recorder.Operations;

    public static Task<HistoryRun> RecordAsync(int nodes, int lanes, Consistency writes, Consistency reads, params FaultKind[] faults) =>
        RecordAsync(nodes, lanes, writes, reads, gateways: 1, faults);

    /// <summary>
    /// A run with <paramref name="gateways"/> (1 or 2) gateways. With two, each operation goes to them in turn (so a
    /// client switches gateway from one operation to the next), and the second is stopped halfway through the run
    /// (<see cref="GatewayCluster.StopSecond"/>): its operations then go to the first.
    /// </summary>
    public static async Task<HistoryRun> RecordAsync(int nodes, int lanes, Consistency writes, Consistency reads, int gateways, params FaultKind[] faults)
    {
        var seed = ClientWorkload.Seed();
        using var cluster = new GatewayCluster(nodes, new()
        {
            ["Gateway:ReplicaTimeout"] = "00:00:00.250",
            ["Gateway:ProbeInterval"] = "00:00:01",
        }, gateways: gateways);
        var names = Enumerable.Range(1, nodes).Select(n => $"node-{n}").ToArray();
        V1.Cache.CacheClient[] caches = gateways == 2
            ? [cluster.Cache(GatewayCluster.BulkKey), cluster.Cache(GatewayCluster.BulkKey, 2)]
            : [cluster.Cache(GatewayCluster.BulkKey)];
        foreach (var cache in caches)
        {
            await cache.GetAsync(new GetRequest { Key = "warm-up" });
        }

        var recorder = new HistoryRecorder();
        var nemesis = new Nemesis(cluster, names, seed, lanes, Length - TimeSpan.FromSeconds(1), faults);
        var gatewaysUp = caches.Length;
        var turn = 0;
        V1.Cache.CacheClient Next() => caches[(Interlocked.Increment(ref turn) & int.MaxValue) % Volatile.Read(ref gatewaysUp)];
        using var stop = new CancellationTokenSource();
        var clock = RunClockAsync(cluster, stop.Token);
        var chaos = nemesis.RunAsync(stop.Token);
        var stopSecond = gateways == 2
            ? Task.Delay(Length / 2, stop.Token).ContinueWith(_ =>
            {
                Volatile.Write(ref gatewaysUp, 1);
                cluster.StopSecond();
            }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default)
            : Task.CompletedTask;
        using (var time = new CancellationTokenSource(Length))
        {
            await new ClientWorkload(recorder, (key, value) => Writer(Next(), writes)(key, value), key => Reader(Next(), reads)(key)).RunAsync(seed, time.Token);
        }

        await stop.CancelAsync();
        await Task.WhenAll(clock, chaos);
        await stopSecond.ContinueWith(_ => { }, TaskScheduler.Default);
        return new HistoryRun(recorder, nemesis, nodes);
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Nodes} nodes, {Operations.Count} operations ({Count(Outcome.Ok)} ok, {Count(Outcome.Indeterminate)} indeterminate, {Count(Outcome.Failed)} failed); {Nemesis.Describe()}");

    private int Count(Outcome outcome) => Operations.Count(op => op.Outcome == outcome);

    /// <summary>Puts at <paramref name="level"/>, with a 5 s deadline; returns the version's timestamp.</summary>
    public static Func<string, string, Task<long?>> Writer(V1.Cache.CacheClient cache, Consistency level) => async (key, value) =>
        (await cache.PutAsync(new PutRequest { Key = key, Text = value, Consistency = level }, deadline: DateTime.UtcNow.AddSeconds(5))).Version.Timestamp;

    /// <summary>Gets at <paramref name="level"/>, with a 5 s deadline; returns the text (null = absent) and the version's timestamp.</summary>
    public static Func<string, Task<(string? Value, long? Version)>> Reader(V1.Cache.CacheClient cache, Consistency level) => async key =>
    {
        var reply = await cache.GetAsync(new GetRequest { Key = key, Consistency = level }, deadline: DateTime.UtcNow.AddSeconds(5));
        return reply.Found ? (reply.Text, reply.Version.Timestamp) : (null, null);
    };

    // The cluster's fake clock, 100 ms every 20 ms, so timers (probes, hint replay, resync) run as they would.
    internal static async Task RunClockAsync(GatewayCluster cluster, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            cluster.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
