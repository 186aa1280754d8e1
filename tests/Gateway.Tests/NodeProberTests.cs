using Grpc.Net.Client;
using Microservices.Gateway.Membership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Tests;

/// <summary>The prober stops cleanly while a probe is in flight.</summary>
public sealed class NodeProberTests
{
    [Fact]
    public async Task StoppingWhileAProbeIsInFlightEndsTheProberWithoutAFault()
    {
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Options.Create(new GatewayOptions
        {
            DownAfterFailures = 1,
            Nodes = [new NodeOptions { Name = "node-1", Address = "http://node-1" }],
        });
        using var membership = new ClusterMembership(
            options, new HangingChannels(answered),
            new TopologyStore(options, new HostingEnvironment { ContentRootPath = Path.GetTempPath() }, NullLogger<TopologyStore>.Instance));
        var detector = new FailureDetector(
            options, TimeProvider.System, new GatewayTelemetry(metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger<FailureDetector>.Instance);
        detector.Failed(membership.View.Nodes["node-1"], "connection refused");
        using var prober = new NodeProber(membership, detector, TimeProvider.System);

        await prober.StartAsync(CancellationToken.None);
        await answered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await prober.StopAsync(CancellationToken.None);

        // Before: the cancelled probe's RpcException (CANCELLED) escaped ExecuteAsync, which stops the whole host.
        Assert.NotNull(prober.ExecuteTask);
        Assert.True(prober.ExecuteTask.IsCompletedSuccessfully, $"prober ended {prober.ExecuteTask.Status}: {prober.ExecuteTask.Exception}");
    }

    /// <summary>Channels whose calls never answer until cancelled; the first call completes <c>sent</c>.</summary>
    private sealed class HangingChannels(TaskCompletionSource sent) : NodeChannelFactory
    {
        public override GrpcChannel Create(string name, Uri address) =>
            GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new Hanging(sent) });
    }

    private sealed class Hanging(TaskCompletionSource sent) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            sent.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
