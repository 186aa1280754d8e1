using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microservices.ServiceDefaults;
using HealthClient = Grpc.Health.V1.Health.HealthClient;
using NodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;

namespace Microservices.Gateway.Membership;

/// <summary>
/// A cache node known to the gateway: its name, address, state, and the one channel used to reach it. What the
/// failure detector counts about it (consecutive failures, when to probe next) is the detector's own.
/// </summary>
/// <remarks>
/// Requests plan on a view and may reach a node after a membership change took it out of the ring. So a node that
/// leaves is <see cref="Retire">retired</see>, not disposed: the calls already running finish, a call started later
/// fails with UNAVAILABLE (a failure every request path fails over from, as from a node that is down), and the
/// channel is closed when the last call has ended.
/// </remarks>
public sealed class ClusterNode : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Func<ClusterNode, bool>? _restarted;
    private string? _instance;
    private int _state = (int)MemberState.Up;
    private int _calls;
    private int _retired;
    private int _closed;
    private int _weight;
    private int _readsInFlight;

    /// <summary>
    /// A node of weight <paramref name="weight"/> (<see cref="NodeRules.MinWeight"/> to <see cref="NodeRules.MaxWeight"/>)
    /// reached over <paramref name="channel"/>, which it owns from now on. <paramref name="restarted"/> hears when an
    /// answer names another run of the node than the answers before (<see cref="NodeInstanceHeader"/>): the node
    /// restarted, maybe empty. When it returns true, that answer fails (UNAVAILABLE) instead of being used.
    /// </summary>
    public ClusterNode(string name, Uri address, GrpcChannel channel, int weight = 1, Func<ClusterNode, bool>? restarted = null)
    {
        Name = name;
        Address = address;
        _weight = weight;
        _channel = channel;
        _restarted = restarted;
        var invoker = channel.Intercept(new CallTracker(this));
        Client = new NodeClient(invoker);
        Health = new HealthClient(invoker);
    }

    /// <summary>The node's name: its identity on the ring.</summary>
    public string Name { get; }

    /// <summary>Its gRPC address.</summary>
    public Uri Address { get; }

    /// <summary>The client over the node's channel.</summary>
    public NodeClient Client { get; }

    /// <summary>grpc.health.v1 over the same channel, for probes.</summary>
    public HealthClient Health { get; }

    /// <summary>Its membership state.</summary>
    public MemberState State
    {
        get => (MemberState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>
    /// Its weight on the ring (its virtual nodes are <c>Gateway:VirtualNodes</c> times it) and in weighted read
    /// selection. Set when a ring with a new weight is committed.
    /// </summary>
    public int Weight
    {
        get => Volatile.Read(ref _weight);
        set => Volatile.Write(ref _weight, value);
    }

    /// <summary>
    /// Reads this gateway has asked of the node that have not answered yet, queued behind its previous call
    /// included: what <see cref="Replication.ReadReplicaSelection.LeastOutstanding"/> compares.
    /// </summary>
    public int ReadsInFlight => Volatile.Read(ref _readsInFlight);

    /// <summary>Counts a read asked of the node; each call is paired with one <see cref="EndRead"/>.</summary>
    public void BeginRead() => Interlocked.Increment(ref _readsInFlight);

    /// <summary>Counts a read of the node that has answered or failed.</summary>
    public void EndRead() => Interlocked.Decrement(ref _readsInFlight);

    /// <summary>True when writes may use it: not DOWN.</summary>
    public bool IsReachable => State != MemberState.Down;

    /// <summary>
    /// True when reads may ask it: it holds what it should (UP, SUSPECT, or LEAVING, which still holds its arcs);
    /// not DOWN, not RECOVERING (maybe empty), not JOINING (still receiving its arcs).
    /// </summary>
    public bool IsReadable => State is MemberState.Up or MemberState.Suspect or MemberState.Leaving;

    /// <summary>
    /// Takes the node out of use once it has left the ring: calls in flight finish, later ones answer UNAVAILABLE,
    /// and the channel closes when the last call ends. Idempotent.
    /// </summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0 && Volatile.Read(ref _calls) == 0)
        {
            Close();
        }
    }

    /// <summary>Closes the channel at once, calls in flight included (the gateway is stopping). Idempotent.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _retired, 1);
        Close();
    }

    // Both sides write before they read (Interlocked is a full fence), so a call that starts as the node retires
    // either sees the retirement or is seen by it: the channel never closes under a call.
    private bool TryEnter()
    {
        Interlocked.Increment(ref _calls);
        if (Volatile.Read(ref _retired) == 0)
        {
            return true;
        }

        Exit();
        return false;
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _calls) == 0 && Volatile.Read(ref _retired) != 0)
        {
            Close();
        }
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _channel.Dispose();
        }
    }

    private RpcException Retired() => new(new Status(StatusCode.Unavailable, $"{Name} has left the ring"));

    // The answer of a call, unless it names a run of the node other than the one seen before and `_restarted` says
    // not to use it: it may be the "absent" of a node that restarted empty.
    private async Task<TResponse> CheckInstanceAsync<TResponse>(AsyncUnaryCall<TResponse> call)
    {
        var response = await call.ResponseAsync.ConfigureAwait(false);
        var headers = await call.ResponseHeadersAsync.ConfigureAwait(false);
        if (headers.GetValue(NodeInstanceHeader.Name) is { Length: > 0 } instance
            && Interlocked.Exchange(ref _instance, instance) is { } previous
            && !string.Equals(previous, instance, StringComparison.Ordinal)
            && _restarted!(this))
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"{Name} restarted (its instance id changed), so it may have lost its data: it is RECOVERING, not read until resynchronised"));
        }

        return response;
    }

    // Counts the calls of the node's clients: unary and server streaming, the only kinds CacheNode and Health have.
    private sealed class CallTracker(ClusterNode node) : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            if (!node.TryEnter())
            {
                var error = node.Retired();
                return new AsyncUnaryCall<TResponse>(
                    Task.FromException<TResponse>(error), Task.FromResult(new Metadata()), () => error.Status, () => new Metadata(), () => { });
            }

            AsyncUnaryCall<TResponse> call;
            try
            {
                call = continuation(request, context);
            }
            catch
            {
                node.Exit();
                throw;
            }

            call.ResponseAsync.ContinueWith(
                static (_, state) => ((ClusterNode)state!).Exit(), node, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return node._restarted is null
                ? call
                : new AsyncUnaryCall<TResponse>(node.CheckInstanceAsync(call), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        }

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
        {
            if (!node.TryEnter())
            {
                throw node.Retired();
            }

            AsyncServerStreamingCall<TResponse> call;
            try
            {
                call = continuation(request, context);
            }
            catch
            {
                node.Exit();
                throw;
            }

            // A stream is in flight until its caller disposes it.
            var ended = 0;
            return new AsyncServerStreamingCall<TResponse>(call.ResponseStream, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, () =>
            {
                call.Dispose();
                if (Interlocked.Exchange(ref ended, 1) == 0)
                {
                    node.Exit();
                }
            });
        }

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            if (!node.TryEnter())
            {
                throw node.Retired();
            }

            try
            {
                return continuation(request, context);
            }
            finally
            {
                node.Exit();
            }
        }
    }
}
