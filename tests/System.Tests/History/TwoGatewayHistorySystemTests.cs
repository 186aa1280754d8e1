using System.Collections.Concurrent;
using Google.Protobuf;
using Microservices.Gateway.V1;
using Microservices.TestSupport.History;
using Xunit.Abstractions;
using ContextVector = Microservices.Cache.V1.ContextVector;

namespace Microservices.SystemTests.History;

/// <summary>
/// Histories recorded against real processes with two gateways (each its own writer id) over three nodes, under
/// <see cref="ProcessFaults"/>: a node paused (SIGSTOP/SIGCONT), another killed (SIGKILL) and started again empty, and
/// gateway-2 killed (SIGKILL) mid-run, its clients moving to gateway-1. Last-writer-wins at QUORUM/QUORUM, every
/// operation to the next live gateway in turn, stays linearizable per key (both gateways read one wall clock), and
/// no acknowledged write is lost except to a newer concurrent one (counted and printed, not asserted: how many
/// depends on how fast a loaded machine runs the clients before gateway-2 dies); under the siblings policy, with clients
/// pinned to a gateway writing shared keys, every acknowledged write is returned until a write that saw it replaces
/// it. The seed (HISTORY_SEED to replay) picks the victims and the clients' choices; a failure prints it with the
/// fault times and the first counterexamples.
/// </summary>
public sealed class TwoGatewayHistorySystemTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, long> Blind = [];

    [Fact]
    public async Task LastWriterWinsQuorumHistoriesThroughTwoGatewaysStayLinearizableWhileNodesArePausedAndKilledAndAGatewayIsKilled()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGSTOP and SIGCONT are POSIX signals.
        }

        var seed = ClientWorkload.Seed();
        using var cluster = new ProcessCluster(nodes: 3, gateways: 2);
        await cluster.StartAsync();
        Gateway.V1.Cache.CacheClient[] caches = [cluster.Cache(1), cluster.Cache(2)];
        var recorder = new HistoryRecorder();
        var faults = new ProcessFaults(cluster, recorder.Origin);
        var writers = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var turn = 0;
        int Next() => (Interlocked.Increment(ref turn) & int.MaxValue) % faults.GatewaysUp;

        Task Clients(CancellationToken stop) => new ClientWorkload(recorder,
            async (key, value) =>
            {
                var gateway = Next();
                writers[value] = ProcessCluster.GatewayId(gateway + 1);
                var reply = await caches[gateway].PutAsync(
                    new PutRequest { Key = key, Text = value, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5));
                writers[value] = reply.Version.Writer;
                return reply.Version.Timestamp;
            },
            async key =>
            {
                var reply = await caches[Next()].GetAsync(new GetRequest { Key = key, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5));
                return reply.Found ? (reply.Text, reply.Version.Timestamp) : (null, null);
            })
        { Keys = 60, MaxOperations = 8000 }.RunAsync(seed, stop);
        await faults.RunAsync(seed, Clients);

        var history = recorder.Operations;
        var report = LinearizabilityChecker.Check(history);
        var (overwritten, lost) = LastWriterWins.Check(
            [.. history.Where(op => op.Kind == OperationKind.Write).Select(op => new CausalWrite(
                op.Id, op.Client, op.Key, op.Value!, writers[op.Value!], Blind, op.Outcome, op.Invoked, op.Completed, op.Version))],
            history.Where(op => op is { Kind: OperationKind.Read, Outcome: Outcome.Ok }).Select(op => new SiblingsRead(
                op.Id, op.Client, op.Key, op.Value is null ? [] : [op.Value], op.Invoked, op.Completed)));
        var summary = FormattableString.Invariant(
            $"seed {seed}; {history.Count} operations ({history.Count(op => op.Outcome == Outcome.Ok)} ok, {history.Count(op => op.Outcome == Outcome.Indeterminate)} indeterminate); faults: {faults.Describe()}\n") +
            FormattableString.Invariant($"{overwritten.Count} acknowledged writes overwritten by a newer concurrent write (last writer wins)\n") +
            $"{report.Describe(recorder.Origin)}{SiblingsChecker.Describe(lost, recorder.Origin)}";
        output.WriteLine(summary);
        Assert.True(report.Anomalies.Count == 0 && report.Unknown.Count == 0, summary);
        Assert.True(lost.Count == 0, summary);
        Assert.True(history.Count(op => op.Outcome == Outcome.Ok) > 500, summary);
        Assert.True(history.Where(op => op is { Kind: OperationKind.Write, Outcome: Outcome.Ok }).Select(op => writers[op.Value!]).Distinct().Count() == 2, summary);
    }

    [Fact]
    public async Task UnderSiblingsEveryAcknowledgedConcurrentWriteThroughTwoGatewaysIsReturnedWhileNodesArePausedAndKilledAndAGatewayIsKilled()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGSTOP and SIGCONT are POSIX signals.
        }

        var seed = ClientWorkload.Seed();
        using var cluster = new ProcessCluster(nodes: 3, gateways: 2);
        await cluster.StartAsync();
        Gateway.V1.Cache.CacheClient[] caches = [cluster.Cache(1), cluster.Cache(2)];
        var recorder = new CausalRecorder();
        var faults = new ProcessFaults(cluster, recorder.Origin);

        Task Clients(CancellationToken stop) => SiblingsClientsAsync(recorder, caches, () => faults.GatewaysUp, seed, stop);
        await faults.RunAsync(seed, Clients);

        var (writes, reads) = (recorder.Writes, recorder.Reads);
        var lost = SiblingsChecker.FindLost(writes, reads);
        var summary = FormattableString.Invariant(
            $"seed {seed}; {writes.Count} writes ({writes.Count(w => w.Outcome == Outcome.Ok)} ok, {writes.Count(w => w.Outcome == Outcome.Indeterminate)} indeterminate, ") +
            FormattableString.Invariant($"{writes.Count(w => w.Context.Count > 0)} with a context), {reads.Count} ok reads ({reads.Count(r => r.Values.Count > 1)} with siblings), {recorder.FailedReads} reads failed; ") +
            $"faults: {faults.Describe()}\n{SiblingsChecker.Describe(lost, recorder.Origin)}";
        output.WriteLine(summary);
        Assert.True(lost.Count == 0, summary);
        Assert.True(writes.Count(w => w.Outcome == Outcome.Ok) > 200 && reads.Count > 200, summary);
        Assert.True(reads.Any(r => r.Values.Count > 1), summary);
    }

    // 8 clients, the even ones on gateway-1 and the odd ones on gateway-2 (on gateway-1 once it is the only one up),
    // each a loop over 12 shared keys of a QUORUM siblings-policy write of a unique value ("c3-17", half of calls),
    // blind or (half the time it has one) with the context of its last read of that key, or a QUORUM read, 10 to 40 ms
    // apart, until stopped or 6,000 calls in all.
    private static Task SiblingsClientsAsync(
        CausalRecorder recorder, Gateway.V1.Cache.CacheClient[] caches, Func<int> gatewaysUp, int seed, CancellationToken stop)
    {
        var operations = 0;
        return Task.WhenAll(Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(seed, client));
            var contexts = new Dictionary<string, ByteString>();
            for (var written = 0; !stop.IsCancellationRequested && Interlocked.Increment(ref operations) <= 6000;)
            {
                var gateway = client % gatewaysUp();
                var cache = caches[gateway];
                var key = $"s{random.Next(12)}";
                if (random.Next(2) == 0)
                {
                    var context = contexts.TryGetValue(key, out var seen) && random.Next(2) == 0 ? seen : ByteString.Empty;
                    var sent = context.IsEmpty ? Blind : ContextVector.Parser.ParseFrom(context).Vector.ToDictionary(c => c.Writer, c => (long)c.Counter, StringComparer.Ordinal);
                    var request = new PutRequest { Key = key, Text = $"c{client}-{written++}", Consistency = Consistency.Quorum, ConflictPolicy = ConflictPolicy.Siblings, Context = context };
                    await recorder.WriteAsync(client, key, request.Text, ProcessCluster.GatewayId(gateway + 1), sent, async () =>
                    {
                        var reply = await cache.PutAsync(request, deadline: DateTime.UtcNow.AddSeconds(5));
                        return (reply.Version.Writer, reply.Version.Timestamp);
                    });
                }
                else
                {
                    ByteString? context = null;
                    if (await recorder.ReadAsync(client, key, async () =>
                    {
                        var reply = await cache.GetAsync(new GetRequest { Key = key, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5));
                        context = reply.Context;
                        return reply.Siblings.Count > 0 ? [.. reply.Siblings.Select(s => s.Text)] : reply.Found ? [reply.Text] : [];
                    }))
                    {
                        contexts[key] = context!;
                    }
                }

                await Task.Delay(random.Next(10, 40), CancellationToken.None);
            }
        }, CancellationToken.None)));
    }
}
