using Microservices.Gateway.V1;
using Microservices.TestSupport.History;
using Xunit.Abstractions;

namespace Microservices.SystemTests.History;

/// <summary>
/// A QUORUM/QUORUM history recorded against real processes (started from the built dlls, not through the AppHost):
/// while clients write and read, one node is stopped with SIGSTOP and continued with SIGCONT, then another is killed
/// with SIGKILL and started again empty. Each key's history must be linearizable. The seed (HISTORY_SEED to replay)
/// picks the victims and the clients' choices; a failure prints it with the fault times and a minimal counterexample.
/// </summary>
public sealed class ProcessHistorySystemTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private const int Keys = 60;
    private const int MaxOperations = 4000;

    [Fact]
    public async Task QuorumHistoriesStayLinearizableWhileANodeIsPausedAndAnotherKilledAndRestartedEmpty()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGSTOP and SIGCONT are POSIX signals.
        }

        var seed = Environment.GetEnvironmentVariable("HISTORY_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var random = new Random(seed);
        using var cluster = new ProcessCluster(nodes: 3);
        await cluster.StartAsync();
        var victims = cluster.Nodes.Keys.OrderBy(_ => random.Next()).ToArray();
        var (paused, killed) = (victims[0], victims[1]);

        var recorder = new HistoryRecorder();
        var faults = new List<string>();
        void Note(string what) => faults.Add(FormattableString.Invariant(
            $"{what} at {TimeProvider.System.GetElapsedTime(recorder.Origin).TotalMilliseconds:F0} ms"));

        using var stop = new CancellationTokenSource();
        var clients = RunClientsAsync(cluster.Cache(), recorder, seed, stop.Token);
        try
        {
            await Task.Delay(1500);
            Note($"SIGSTOP {paused}");
            await cluster.Nodes[paused].PauseAsync();
            await Task.Delay(2500);
            Note($"SIGCONT {paused}");
            await cluster.Nodes[paused].ResumeAsync();
            await Task.Delay(1500);

            Note($"SIGKILL {killed}");
            await cluster.Nodes[killed].KillAsync();
            await cluster.WaitForStateAsync(killed, NodeState.Down, TimeSpan.FromSeconds(30));
            Note($"{killed} DOWN; started again, empty");
            cluster.Nodes[killed].Start();
            await ProcessCluster.WaitServingAsync(cluster.Nodes[killed]);
            await cluster.WaitForStateAsync(killed, NodeState.Up, TimeSpan.FromSeconds(60));
            Note($"{killed} UP");
            await Task.Delay(1000);
        }
        finally
        {
            await stop.CancelAsync();
            await clients;
        }

        var history = recorder.Operations;
        var report = LinearizabilityChecker.Check(history);
        var summary = FormattableString.Invariant(
            $"seed {seed}; {history.Count} operations ({history.Count(op => op.Outcome == Outcome.Ok)} ok, {history.Count(op => op.Outcome == Outcome.Indeterminate)} indeterminate); faults: {string.Join("; ", faults)}\n{report.Describe(recorder.Origin)}");
        output.WriteLine(summary);
        Assert.True(report.Anomalies.Count == 0 && report.Unknown.Count == 0, summary);
        Assert.True(history.Count(op => op.Outcome == Outcome.Ok) > 500, summary);
    }

    // Clients that Put unique values ("c3-17") and Get, at QUORUM, over a few dozen keys until stopped (or the budget
    // is spent); every call recorded, each with a 5 s deadline.
    private static Task RunClientsAsync(Gateway.V1.Cache.CacheClient cache, HistoryRecorder recorder, int seed, CancellationToken stop)
    {
        var operations = 0;
        return Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(seed, client));
            for (var written = 0; !stop.IsCancellationRequested && Interlocked.Increment(ref operations) <= MaxOperations;)
            {
                var key = $"h{random.Next(Keys)}";
                if (random.Next(100) < 40)
                {
                    var value = $"c{client}-{written++}";
                    await recorder.WriteAsync(client, key, value, async () => (await cache.PutAsync(
                        new PutRequest { Key = key, Text = value, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5))).Version.Timestamp);
                }
                else
                {
                    await recorder.ReadAsync(client, key, async () =>
                    {
                        var reply = await cache.GetAsync(new GetRequest { Key = key, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5));
                        return reply.Found ? (reply.Text, reply.Version.Timestamp) : (null, null);
                    });
                }

                await Task.Delay(random.Next(5, 25), CancellationToken.None);
            }
        }, CancellationToken.None)));
    }
}
