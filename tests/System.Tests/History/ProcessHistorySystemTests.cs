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
    [Fact]
    public async Task QuorumHistoriesStayLinearizableWhileANodeIsPausedAndAnotherKilledAndRestartedEmpty()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGSTOP and SIGCONT are POSIX signals.
        }

        var seed = ClientWorkload.Seed();
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
        var cache = cluster.Cache();
        var clients = new ClientWorkload(recorder,
            async (key, value) => (await cache.PutAsync(
                new PutRequest { Key = key, Text = value, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5))).Version.Timestamp,
            async key =>
            {
                var reply = await cache.GetAsync(new GetRequest { Key = key, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5));
                return reply.Found ? (reply.Text, reply.Version.Timestamp) : (null, null);
            })
        { Keys = 60, MaxOperations = 4000 }.RunAsync(seed, stop.Token);
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
}
