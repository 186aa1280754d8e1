using Microservices.Gateway.V1;
using Microservices.TestSupport.History;
using Xunit.Abstractions;

namespace Microservices.SystemTests.History;

/// <summary>
/// A QUORUM/QUORUM history recorded against real processes (started from the built dlls, not through the AppHost):
/// while clients write and read, one node is stopped with SIGSTOP and continued with SIGCONT, then another is killed
/// with SIGKILL and started again empty (<see cref="ProcessFaults"/>). Each key's history must be linearizable. The
/// seed (HISTORY_SEED to replay) picks the victims and the clients' choices; a failure prints it with the fault times
/// and a minimal counterexample.
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
        using var cluster = new ProcessCluster(nodes: 3);
        await cluster.StartAsync();
        var recorder = new HistoryRecorder();
        var faults = new ProcessFaults(cluster, recorder.Origin);

        var cache = cluster.Cache();
        Task Clients(CancellationToken stop) => new ClientWorkload(recorder,
            async (key, value) => (await cache.PutAsync(
                new PutRequest { Key = key, Text = value, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5))).Version.Timestamp,
            async key =>
            {
                var reply = await cache.GetAsync(new GetRequest { Key = key, Consistency = Consistency.Quorum }, deadline: DateTime.UtcNow.AddSeconds(5));
                return reply.Found ? (reply.Text, reply.Version.Timestamp) : (null, null);
            })
        { Keys = 60, MaxOperations = 4000 }.RunAsync(seed, stop);
        await faults.RunAsync(seed, Clients);

        var history = recorder.Operations;
        var report = LinearizabilityChecker.Check(history);
        var summary = FormattableString.Invariant(
            $"seed {seed}; {history.Count} operations ({history.Count(op => op.Outcome == Outcome.Ok)} ok, {history.Count(op => op.Outcome == Outcome.Indeterminate)} indeterminate); faults: {faults.Describe()}\n{report.Describe(recorder.Origin)}");
        output.WriteLine(summary);
        Assert.True(report.Anomalies.Count == 0 && report.Unknown.Count == 0, summary);
        Assert.True(history.Count(op => op.Outcome == Outcome.Ok) > 500, summary);
    }
}
