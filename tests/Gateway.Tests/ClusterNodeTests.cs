extern alias cachenode;

using Grpc.Core;
using Grpc.Net.Client;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.TestSupport;

namespace Microservices.Gateway.Tests;

/// <summary>A node that leaves the ring while calls to it are in flight, over a real in-process cache node.</summary>
public sealed class ClusterNodeTests : IDisposable
{
    private readonly GrpcServiceApp<cachenode::Program> _server = new(new() { ["CacheNode:NodeName"] = "node-1" });
    private readonly Link _link;
    private readonly ClusterNode _node;

    public ClusterNodeTests()
    {
        _link = new Link(_server.Server.CreateHandler());
        _node = new ClusterNode("node-1", new Uri("http://node-1"), GrpcChannel.ForAddress("http://node-1", new GrpcChannelOptions { HttpHandler = _link, DisposeHttpClient = true }));
    }

    public void Dispose()
    {
        _node.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task ARetiredNodeLetsItsCallsInFlightFinishThenClosesItsChannel()
    {
        _link.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = _node.Client.GetStatsAsync(new GetStatsRequest()).ResponseAsync;
        await _link.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        _node.Retire();
        Assert.False(_link.Disposed);
        _link.Hold.SetResult();

        Assert.Equal("node-1", (await call).Node);
        Assert.True(_link.Disposed);
    }

    [Fact]
    public async Task ACallToARetiredNodeFailsAsUnavailableAsFromANodeThatIsDown()
    {
        _node.Retire();

        var unary = await Assert.ThrowsAsync<RpcException>(() => _node.Client.GetStatsAsync(new GetStatsRequest()).ResponseAsync);
        var stream = Assert.Throws<RpcException>(() => _node.Client.Scan(new ScanRequest()));

        Assert.Equal(StatusCode.Unavailable, unary.StatusCode);
        Assert.Equal(StatusCode.Unavailable, stream.StatusCode);
        Assert.True(_link.Disposed);
        Assert.Equal(0, _link.Calls);
    }

    [Fact]
    public async Task AScanInFlightKeepsTheChannelOpenUntilItIsDisposed()
    {
        await _node.Client.PutAsync(new PutRequest { Entry = new Entry { Key = "k", Version = new Cache.V1.Version { Timestamp = 1, Writer = "w" } } });
        var scan = _node.Client.Scan(new ScanRequest());

        _node.Retire();
        Assert.True(await scan.ResponseStream.MoveNext());
        Assert.False(_link.Disposed);
        scan.Dispose();
        scan.Dispose();

        Assert.True(_link.Disposed);
    }

    private sealed class Link(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _calls;

        public TaskCompletionSource? Hold { get; set; }

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Disposed { get; private set; }

        public int Calls => Volatile.Read(ref _calls);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            Entered.TrySetResult();
            if (Hold is { } hold)
            {
                await hold.Task.WaitAsync(cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
