using Aspire.Hosting.ApplicationModel;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.SystemTests;

/// <summary>What an operator does from the dashboard, and what the system looks like after it.</summary>
[Collection(OperatorAppHostTests.Name)]
public sealed class OperatorSystemTests(OperatorAppHostFixture fixture)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task FailNodeReportsItsWorkLeavesTheNodeStoppedNotCrashedAndTheGatewayRestartsWithoutIt()
    {
        var cache = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        for (var i = 0; i < 20; i++)
        {
            await cache.PutAsync(new PutRequest { Key = $"operator:{i}", Text = "kept" }).ResponseAsync.WaitAsync(CallTimeout);
        }

        // The node dies first (SIGKILL): under the test host Aspire's stop may never reach a project run through
        // `dotnet run` (see KillAsync), and a failed node is what the command is for. It then stops what is stopped.
        await fixture.KillAsync("cache-node-2");
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var failed = await commands.ExecuteCommandAsync("cache-node-2", "fail-node").WaitAsync(AppHostFixture.StartTimeout);

        // The report: in the message (toast and notification) and as a result the dashboard opens at once.
        Assert.True(failed.Success, failed.Message);
        Assert.Matches(@"^cache-node-2 removed from the ring: \d+ entries re-replicated in \d+ ms; 2 nodes left$", failed.Message);
        Assert.NotNull(failed.Data);
        Assert.True(failed.Data.DisplayImmediately);
        Assert.Contains("| cache-node-1 |", failed.Data.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("| cache-node-2 |", failed.Data.Value, StringComparison.Ordinal);

        // Stopped by the operator, not exited with an error code (which the dashboard shows as a crash).
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("cache-node-2", out var node));
        Assert.Equal(KnownResourceStates.Finished, node.Snapshot.State?.Text);
        Assert.True(node.Snapshot.ExitCode is null or 0, $"exit code {node.Snapshot.ExitCode}");
        Assert.Contains(node.Snapshot.Properties, p => p.Name == "cluster.ring" && $"{p.Value}".StartsWith("Failed by the operator", StringComparison.Ordinal));

        // A restarted gateway does not wait for the node that left: it starts with the ring it has. (Killed, then
        // started: under the test host Aspire's stop does not reach the process in time; see KillAsync.)
        await fixture.KillAsync("gateway");
        await fixture.StartAsync("gateway");

        var cluster = fixture.Gateway(i => new Cluster.ClusterClient(i), "dev-admin-key");
        var topology = await cluster.GetTopologyAsync(new GetTopologyRequest()).ResponseAsync.WaitAsync(CallTimeout);
        Assert.Equal(["cache-node-1", "cache-node-3"], topology.Topology.Nodes.Select(n => n.Name).Order());
        for (var i = 0; i < 20; i++)
        {
            var get = await cache.GetAsync(new GetRequest { Key = $"operator:{i}", Consistency = Consistency.All }).ResponseAsync.WaitAsync(CallTimeout);
            Assert.Equal("kept", get.Text);
        }
    }
}
