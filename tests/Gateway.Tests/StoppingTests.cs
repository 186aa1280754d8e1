using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Microservices.Gateway.Tests;

/// <summary>The gateway stops cleanly while its background loops have calls to the nodes in flight.</summary>
public sealed class StoppingTests
{
    [Fact]
    public async Task StoppingWhileEveryNodeHangsEndsEveryBackgroundLoopWithoutAFault()
    {
        // Real time, so the loops tick on their own: the configuration poll, the clock check and the anti-entropy pass.
        using var cluster = new GatewayCluster(
            settings: new()
            {
                ["Gateway:ClusterConfig:PollInterval"] = "00:00:00.050",
                ["Gateway:ClockCheckInterval"] = "00:00:00.050",
                ["Gateway:AntiEntropy:Enabled"] = "true",
                ["Gateway:AntiEntropy:Interval"] = "00:00:01",
            },
            services: services => services.AddSingleton(TimeProvider.System));
        var gateway = cluster.GatewayServices;
        var before = cluster.Links.Values.Sum(link => link.Calls);
        foreach (var link in cluster.Links.Values)
        {
            link.Pause();
        }

        // Held calls: the clock check's at least (the configuration poll's are not counted), then a poll or two more.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (cluster.Links.Values.Sum(link => link.Calls) < before + 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await Task.Delay(300);
        Assert.True(cluster.Links.Values.Sum(link => link.Calls) >= before + 3, "no background call reached the nodes");

        var loops = gateway.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
        await gateway.GetRequiredService<IHost>().StopAsync();

        // Before: the cancelled calls' RpcException (CANCELLED) escaped the configuration watcher and the clock monitor,
        // and a BackgroundService that throws stops the whole host ("BackgroundService failed", critical).
        foreach (var loop in loops)
        {
            Assert.False(loop.ExecuteTask?.IsFaulted ?? false, $"{loop.GetType().Name} ended with {loop.ExecuteTask?.Exception}");
        }
    }
}
