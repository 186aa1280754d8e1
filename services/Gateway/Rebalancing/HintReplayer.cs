using System.Collections.Concurrent;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Batching;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Replication;

namespace Microservices.Gateway.Rebalancing;

/// <summary>
/// When a node is back (UP again, or RECOVERING), sends it the writes it missed, in MultiPut pages of at most 100 hints
/// and <see cref="NodeBatchLimits.MaxBytes"/>. Versions make replays safe: a node keeps whichever version is newer, so
/// a hint the node answers "a newer version is stored" is done. A hint whose value has expired is delivered all the
/// same: the node keeps its version as an expiry marker (so an older value it holds cannot win a read), not the value.
/// A page the node refuses as a whole is sent again hint by hint, and a hint it refuses for good (INVALID_ARGUMENT,
/// OUT_OF_RANGE, or larger than its memory, as a whole call or as its item's error) is dropped, counted
/// (<see cref="HintStore.Discarded"/>) and logged. A hint the node has no room for yet, and a page that fails (the node is
/// away again), go back to the store for later. A node that was DOWN may have restarted with nothing (nodes keep data
/// in memory), so it comes back RECOVERING (not read) and is also resynchronised: every arc it holds is copied to it
/// from the other replicas (CacheNode.Scan), as when a node joins; once every hint held for it and the resync have
/// landed, it is UP. Hints that are still held for an UP node (loaded from disk by a restarted gateway, or left by a
/// replay that failed) are replayed at start and then every 10 s, and a RECOVERING node whose replay or resync failed
/// is recovered again then; hints of nodes no longer on the ring are dropped.
/// </summary>
public sealed partial class HintReplayer : IHostedService
{
    private const int PageItems = 100;
    private static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly FailureDetector _detector;
    private readonly HintStore _hints;
    private readonly ClusterAdmin _admin;
    private readonly ClusterMembership _membership;
    private readonly TimeProvider _time;
    private readonly NodeCalls _calls;
    private readonly ILogger<HintReplayer> _logger;
    private readonly ConcurrentDictionary<string, bool> _replaying = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _recovering = new(StringComparer.Ordinal);
    private ITimer? _sweep;

    public HintReplayer(
        FailureDetector detector, HintStore hints, ClusterAdmin admin, ClusterMembership membership, TimeProvider time,
        NodeCalls calls, ILogger<HintReplayer> logger)
    {
        _detector = detector;
        _hints = hints;
        _admin = admin;
        _membership = membership;
        _time = time;
        _calls = calls;
        _logger = logger;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _detector.NodeRecovered += OnRecovered;
        Sweep();
        _sweep = _time.CreateTimer(_ => Sweep(), null, SweepInterval, SweepInterval);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _detector.NodeRecovered -= OnRecovered;
        _sweep?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Delivers every hint held for <paramref name="node"/>; returns how many were delivered.</summary>
    public async Task<int> ReplayAsync(ClusterNode node)
    {
        var delivered = 0;
        var later = new List<Entry>();
        while (_hints.Take(node.Name, PageItems, NodeBatchLimits.MaxBytes) is { Count: > 0 } taken)
        {
            var page = taken;
            var kept = new List<Entry>();
            try
            {
                delivered += await DeliverAsync(node, page, kept);
                _calls.Observe(node, null);
                later.AddRange(kept);
            }
            catch (Exception ex)
            {
                // A node that fails its replay is SUSPECT; its recovery replays the hints again. Whatever the
                // failure, no hint is lost with it.
                _calls.Observe(node, ex);
                later.AddRange(kept);
                LogReplayFailed(_logger, node.Name, page.Count, ex.Message);
                break;
            }
        }

        foreach (var entry in later)
        {
            _hints.Add(node.Name, entry);
        }

        _hints.Persist(node.Name);
        _hints.Delivered(delivered);
        if (delivered > 0)
        {
            LogReplayed(_logger, node.Name, delivered);
        }

        return delivered;
    }

    // Sends a page; returns how many hints the node now holds (or holds newer). Hints it has no room for yet go to
    // `kept`. A page refused as a whole goes again hint by hint, so one bad hint cannot hold back the others. When
    // the node fails the call (it is away again), what is not settled goes to `kept` and the failure is rethrown.
    private async Task<int> DeliverAsync(ClusterNode node, List<Entry> page, List<Entry> kept)
    {
        try
        {
            return Settle(node, await PutAsync(node, page), page, kept);
        }
        catch (RpcException ex) when (IsRefusal(ex))
        {
            if (page.Count == 1)
            {
                _hints.Discard(1, "refused");
                LogRefused(_logger, node.Name, ex.Status.Detail);
                return 0;
            }

            var delivered = 0;
            for (var i = 0; i < page.Count; i++)
            {
                try
                {
                    delivered += await DeliverAsync(node, [page[i]], kept);
                }
                catch
                {
                    kept.AddRange(page.Skip(i + 1));
                    throw;
                }
            }

            return delivered;
        }
        catch
        {
            kept.AddRange(page);
            throw;
        }
    }

    // One entry alone is sent as a MultiPut too, so "no room" comes back as a flag, and RESOURCE_EXHAUSTED means the
    // entry is larger than the node's whole memory.
    private static async Task<MultiPutResponse> PutAsync(ClusterNode node, List<Entry> entries)
    {
        var request = new MultiPutRequest();
        request.Entries.AddRange(entries);
        return await node.Client.MultiPutAsync(request, deadline: DateTime.UtcNow + PageTimeout);
    }

    // The hints the node took (or holds newer); those it had no room for go to `kept`; those it refused on their
    // own are dropped.
    private int Settle(ClusterNode node, MultiPutResponse reply, List<Entry> page, List<Entry> kept)
    {
        var took = 0;
        for (var i = 0; i < page.Count; i++)
        {
            if (reply.Results[i].Error.Length > 0)
            {
                _hints.Discard(1, "refused");
                LogRefused(_logger, node.Name, reply.Results[i].Error);
            }
            else if (reply.Results[i].NoRoom)
            {
                kept.Add(page[i]);
            }
            else
            {
                took++;
            }
        }

        return took;
    }

    // The node refuses the request, not the call: retrying it unchanged would be refused again.
    private static bool IsRefusal(RpcException ex) =>
        ex.StatusCode is StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.ResourceExhausted;

    // Replays what is held for UP nodes, recovers RECOVERING ones again; drops what is held for nodes that left the ring.
    private void Sweep()
    {
        var view = _membership.View;
        foreach (var node in view.Nodes.Values)
        {
            if (node.State == MemberState.Recovering)
            {
                _ = Task.Run(() => RecoverOnceAsync(node), CancellationToken.None);
            }
        }

        foreach (var name in _hints.Nodes.ToList())
        {
            if (!view.Nodes.TryGetValue(name, out var node))
            {
                _hints.Forget(name);
            }
            else if (node.State == MemberState.Up)
            {
                _ = Task.Run(() => ReplayOnceAsync(node), CancellationToken.None);
            }
        }
    }

    // One replay per node at a time; a replay already running delivers what this one would.
    private async Task ReplayOnceAsync(ClusterNode node)
    {
        if (!_replaying.TryAdd(node.Name, true))
        {
            return;
        }

        try
        {
            await ReplayAsync(node);
        }
        finally
        {
            _replaying.TryRemove(node.Name, out _);
        }
    }

    private void OnRecovered(ClusterNode node, MemberState before) =>
        _ = Task.Run(() => before == MemberState.Down ? RecoverOnceAsync(node) : ReplayOnceAsync(node), CancellationToken.None);

    // A RECOVERING node gets its hints, then its resync, then is UP (read again); when either does not land, it stays
    // RECOVERING and the next sweep tries again. One recovery per node at a time. Never throws.
    private async Task RecoverOnceAsync(ClusterNode node)
    {
        if (!_recovering.TryAdd(node.Name, true))
        {
            return;
        }

        try
        {
            await ReplayOnceAsync(node);
            if (_hints.CountFor(node.Name) > 0)
            {
                LogStillRecovering(_logger, node.Name, "hints are still held for it");
                return;
            }

            await _admin.ResyncAsync(node.Name, CancellationToken.None);
            _detector.Resynced(node);
        }
        catch (Exception ex)
        {
            LogResyncFailed(_logger, node.Name, ex);
        }
        finally
        {
            _recovering.TryRemove(node.Name, out _);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Resynchronising {Node} after it came back failed; it stays RECOVERING (not read) and is resynchronised again within 10 s")]
    private static partial void LogResyncFailed(ILogger logger, string node, Exception exception);

    [LoggerMessage(LogLevel.Information, "{Node} stays RECOVERING (not read): {Reason}; it is recovered again within 10 s")]
    private static partial void LogStillRecovering(ILogger logger, string node, string reason);

    [LoggerMessage(LogLevel.Information, "Replayed {Count} hinted writes to {Node}")]
    private static partial void LogReplayed(ILogger logger, string node, int count);

    [LoggerMessage(LogLevel.Warning, "Dropped a hint for {Node}: the node refuses it ({Reason})")]
    private static partial void LogRefused(ILogger logger, string node, string reason);

    [LoggerMessage(LogLevel.Warning, "Replaying {Count} hints to {Node} failed ({Reason}); they are kept for its next recovery")]
    private static partial void LogReplayFailed(ILogger logger, string node, int count, string reason);
}
