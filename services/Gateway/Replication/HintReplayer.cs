using System.Collections.Concurrent;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;

namespace Microservices.Gateway.Replication;

/// <summary>
/// When a node is UP again, sends it the writes it missed (MultiPut pages of 100). Versions make replays safe: a
/// node keeps whichever version is newer. A page that fails goes back to the store for the next recovery. A node
/// that was DOWN may have restarted with nothing (nodes keep data in memory), so it is then also resynchronised:
/// every arc it holds is copied to it from the other replicas (CacheNode.Scan), as when a node joins. Hints that
/// are still held for an UP node (loaded from disk by a restarted gateway, or left by a replay that failed) are
/// replayed at start and then every 10 s; hints of nodes no longer on the ring are dropped.
/// </summary>
public sealed partial class HintReplayer : IHostedService
{
    private const int PageSize = 100;
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
        while (_hints.Take(node.Name, PageSize) is { Count: > 0 } page)
        {
            var request = new MultiPutRequest();
            request.Entries.AddRange(page);
            try
            {
                await node.Client.MultiPutAsync(request, deadline: DateTime.UtcNow + PageTimeout);
                _calls.Observe(node, null);
                delivered += page.Count;
                _hints.Delivered(page.Count);
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException)
            {
                // A node that fails its replay is SUSPECT; its recovery replays the hints again.
                _calls.Observe(node, ex);
                foreach (var entry in page)
                {
                    _hints.Add(node.Name, entry);
                }

                LogReplayFailed(_logger, node.Name, page.Count, ex.Message);
                break;
            }
        }

        _hints.Persist(node.Name);
        if (delivered > 0)
        {
            LogReplayed(_logger, node.Name, delivered);
        }

        return delivered;
    }

    // Replays what is held for UP nodes; drops what is held for nodes that left the ring.
    private void Sweep()
    {
        var view = _membership.View;
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

    private void OnRecovered(ClusterNode node, MemberState before) => _ = Task.Run(async () =>
    {
        await ReplayOnceAsync(node);
        if (before == MemberState.Down)
        {
            try
            {
                await _admin.ResyncAsync(node.Name, CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogResyncFailed(_logger, node.Name, ex);
            }
        }
    });

    [LoggerMessage(LogLevel.Warning, "Resynchronising {Node} after it came back failed; reads repair it key by key")]
    private static partial void LogResyncFailed(ILogger logger, string node, Exception exception);

    [LoggerMessage(LogLevel.Information, "Replayed {Count} hinted writes to {Node}")]
    private static partial void LogReplayed(ILogger logger, string node, int count);

    [LoggerMessage(LogLevel.Warning, "Replaying {Count} hints to {Node} failed ({Reason}); they are kept for its next recovery")]
    private static partial void LogReplayFailed(ILogger logger, string node, int count, string reason);
}
