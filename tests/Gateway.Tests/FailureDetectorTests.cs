using Grpc.Net.Client;
using Microservices.Gateway.Membership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.Gateway.Tests;

/// <summary>The failure detector's states for a node that comes back: RECOVERING, until its resync has landed.</summary>
public sealed class FailureDetectorTests : IDisposable
{
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ClusterNode _node = new("node-1", new Uri("http://node-1"), GrpcChannel.ForAddress("http://node-1"));
    private readonly FailureDetector _detector;
    private readonly List<MemberState> _recoveredFrom = [];

    public FailureDetectorTests()
    {
        _detector = new FailureDetector(
            Options.Create(new GatewayOptions { DownAfterFailures = 3 }), new FakeTimeProvider(),
            new GatewayTelemetry(_metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger<FailureDetector>.Instance);
        _detector.NodeRecovered += (_, before) => _recoveredFrom.Add(before);
    }

    public void Dispose()
    {
        _node.Dispose();
        _metrics.Dispose();
    }

    private void FailTimes(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _detector.Failed(_node, "connection refused");
        }
    }

    [Fact]
    public void ADownNodeThatAnswersAProbeIsRecoveringAndUpOnlyOnceResynced()
    {
        FailTimes(3);
        Assert.Equal(MemberState.Down, _node.State);

        _detector.Probed(_node, serving: true, "SERVING");
        Assert.Equal(MemberState.Recovering, _node.State);
        Assert.False(_node.IsReadable);
        Assert.True(_node.IsReachable);
        Assert.Equal([MemberState.Down], _recoveredFrom);

        // A call that succeeds says nothing about what it holds.
        _detector.Succeeded(_node);
        Assert.Equal(MemberState.Recovering, _node.State);

        Assert.True(_detector.Resynced(_node));
        Assert.Equal(MemberState.Up, _node.State);
        Assert.False(_detector.Resynced(_node));
    }

    [Fact]
    public void ARecoveringNodeWhoseCallsFailGoesDownNotSuspect()
    {
        FailTimes(3);
        _detector.Probed(_node, serving: true, "SERVING");

        FailTimes(2);
        Assert.Equal(MemberState.Recovering, _node.State);
        FailTimes(1);
        Assert.Equal(MemberState.Down, _node.State);

        // A resync that ends after the node went DOWN again does not make it UP.
        Assert.False(_detector.Resynced(_node));
        Assert.Equal(MemberState.Down, _node.State);
    }

    [Fact]
    public void ASuspectNodeThatAnswersIsUpAtOnce()
    {
        FailTimes(1);
        Assert.Equal(MemberState.Suspect, _node.State);

        _detector.Probed(_node, serving: true, "SERVING");
        Assert.Equal(MemberState.Up, _node.State);
        Assert.Equal([MemberState.Suspect], _recoveredFrom);
    }
}
