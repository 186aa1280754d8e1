using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Microservices.Gateway.V1;
using Microservices.TestSupport.History;
using ContextVector = Microservices.Cache.V1.ContextVector;

namespace Microservices.Gateway.Tests.History;

/// <summary>
/// One recorded run of concurrent writes to shared keys through two gateways over three nodes in process: 8 clients,
/// the even ones on gateway 1 and the odd ones on gateway 2, each a loop over 4 keys of a QUORUM write of a unique
/// value ("c3-17") with the run's conflict policy (half of calls), blind or (half the time it has one) with the context
/// of its last read of that key, or a QUORUM read (the other half), 5 to 25 ms apart, for 5 s or 1,600 calls.
/// Meanwhile a <see cref="Nemesis"/> pauses, cuts and delays one node's links at a time, the cluster's clock runs five
/// times faster than real time (<see cref="HistoryRun.RunClockAsync"/>), and gateway 2 is stopped halfway
/// (<see cref="GatewayCluster.StopSecond"/>): its clients then use gateway 1. The seed (<see cref="ClientWorkload.Seed"/>,
/// HISTORY_SEED to replay) fixes the faults and the clients' choices.
/// </summary>
internal sealed class SiblingsHistoryRun
{
    private const int Clients = 8;
    private const int Keys = 4;
    private const int MaxOperations = 1600;
    private static readonly TimeSpan Length = TimeSpan.FromSeconds(5);
    private static readonly string[] Writers = ["gateway-1", "gateway-2"];
    private readonly CausalRecorder _recorder = new();

    private SiblingsHistoryRun(int seed) => Seed = seed;

    public int Seed { get; }

    /// <summary>When the clients and the nemesis started (the run was made), in <see cref="Stopwatch"/> ticks; reports print times since it.</summary>
    public long Origin => _recorder.Origin;

    public Nemesis? Nemesis { get; private set; }

    public IReadOnlyList<CausalWrite> Writes => _recorder.Writes;

    public IReadOnlyList<SiblingsRead> Reads => _recorder.Reads;

    /// <summary>Records a run whose writes ask for <paramref name="policy"/>, under a nemesis of <paramref name="faults"/> (one at a time).</summary>
    public static async Task<SiblingsHistoryRun> RecordAsync(ConflictPolicy policy, params FaultKind[] faults)
    {
        var seed = ClientWorkload.Seed();
        using var cluster = new GatewayCluster(3, new()
        {
            ["Gateway:ReplicaTimeout"] = "00:00:00.250",
            ["Gateway:ProbeInterval"] = "00:00:01",
        }, gateways: 2);
        V1.Cache.CacheClient[] caches = [cluster.Cache(GatewayCluster.BulkKey), cluster.Cache(GatewayCluster.BulkKey, 2)];
        foreach (var cache in caches)
        {
            await cache.GetAsync(new GetRequest { Key = "warm-up" });
        }

        var run = new SiblingsHistoryRun(seed);
        run.Nemesis = new Nemesis(cluster, ["node-1", "node-2", "node-3"], seed, 1, Length - TimeSpan.FromSeconds(1), faults);
        var secondUp = 1;
        using var stop = new CancellationTokenSource();
        var clock = HistoryRun.RunClockAsync(cluster, stop.Token);
        var chaos = run.Nemesis.RunAsync(stop.Token);
        var stopSecond = Task.Delay(Length / 2, stop.Token).ContinueWith(_ =>
        {
            Volatile.Write(ref secondUp, 0);
            cluster.StopSecond();
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        using (var time = new CancellationTokenSource(Length))
        {
            var operations = 0;
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
            {
                var random = new Random(HashCode.Combine(run.Seed, client));
                var contexts = new Dictionary<string, ByteString>();
                for (var written = 0; !time.IsCancellationRequested && Interlocked.Increment(ref operations) <= MaxOperations;)
                {
                    var gateway = client % 2 == 1 && Volatile.Read(ref secondUp) == 1 ? 1 : 0;
                    var key = $"s{random.Next(Keys)}";
                    if (random.Next(2) == 0)
                    {
                        var context = contexts.TryGetValue(key, out var read) && random.Next(2) == 0 ? read : ByteString.Empty;
                        await run.WriteAsync(caches[gateway], Writers[gateway], client, key, $"c{client}-{written++}", context, policy);
                    }
                    else if (await run.ReadAsync(caches[gateway], client, key) is { } read)
                    {
                        contexts[key] = read;
                    }

                    await Task.Delay(random.Next(5, 25), CancellationToken.None);
                }
            }, CancellationToken.None)));
        }

        await stop.CancelAsync();
        await Task.WhenAll(clock, chaos);
        await stopSecond.ContinueWith(_ => { }, TaskScheduler.Default);
        return run;
    }

    public string Describe()
    {
        var (writes, reads) = (Writes, Reads);
        return string.Create(CultureInfo.InvariantCulture,
            $"seed {Seed}: {writes.Count + reads.Count + _recorder.FailedReads} operations: {writes.Count} writes ({writes.Count(w => w.Outcome == Outcome.Ok)} ok, ") +
            string.Create(CultureInfo.InvariantCulture,
            $"{writes.Count(w => w.Outcome == Outcome.Indeterminate)} indeterminate, {writes.Count(w => w.Context.Count > 0)} with a context), ") +
            string.Create(CultureInfo.InvariantCulture,
            $"{reads.Count} ok reads ({reads.Count(r => r.Values.Count > 1)} with siblings), {_recorder.FailedReads} reads failed; {Nemesis?.Describe()}");
    }

    private Task<Outcome> WriteAsync(
        V1.Cache.CacheClient cache, string writer, int client, string key, string value, ByteString context, ConflictPolicy policy)
    {
        var sent = context.IsEmpty ? [] : ContextVector.Parser.ParseFrom(context).Vector.ToDictionary(c => c.Writer, c => (long)c.Counter, StringComparer.Ordinal);
        return _recorder.WriteAsync(client, key, value, writer, sent, async () =>
        {
            var reply = await cache.PutAsync(
                new PutRequest { Key = key, Text = value, Consistency = V1.Consistency.Quorum, ConflictPolicy = policy, Context = context },
                deadline: DateTime.UtcNow.AddSeconds(5));
            return (reply.Version.Writer, reply.Version.Timestamp);
        });
    }

    // Returns the read's context, or null when the read failed.
    private async Task<ByteString?> ReadAsync(V1.Cache.CacheClient cache, int client, string key)
    {
        ByteString? context = null;
        return await _recorder.ReadAsync(client, key, async () =>
        {
            var reply = await cache.GetAsync(new GetRequest { Key = key, Consistency = V1.Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5));
            context = reply.Context;
            return reply.Siblings.Count > 0 ? [.. reply.Siblings.Select(s => s.Text)] : reply.Found ? [reply.Text] : [];
        }) ? context : null;
    }
}
