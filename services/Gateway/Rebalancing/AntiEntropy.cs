using Microservices.Gateway.Membership;
using Microservices.Gateway.Replication;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Rebalancing;

/// <summary>
/// Anti-entropy: a background comparison of replicas, arc by arc of the ring, that repairs what hinted handoff and
/// read repair miss (a hint dropped or lost with its gateway, a write that reached only some replicas and is never
/// read, a replica that restarted before it was found DOWN). As Dynamo and Riak's active anti-entropy, replicas are
/// compared by hashes over key ranges, and only the ranges that differ are exchanged. Here the hashes are not kept
/// in a tree on every write: each pass asks the nodes for digests (CacheNode.Digest) of the ring's arcs, narrows the
/// arcs whose replicas differ by asking for digests of their sub-ranges (16 per level, a Merkle tree built on
/// demand), until a differing sub-range holds few entries (128); then it scans those sub-ranges on each replica and
/// writes the newest version of each key (a value, a delete's tombstone, an expired value as a tombstone at its
/// version) to the replicas that lack it or hold an older one. Nodes apply only newer versions, so a repair can never
/// roll a key back, and a write that lands meanwhile wins. Only readable replicas (UP, SUSPECT, LEAVING) are compared:
/// DOWN ones are away, RECOVERING and JOINING ones are being filled by other means; a later pass covers them. Passes
/// run one at a time, every <see cref="AntiEntropyOptions.Interval"/> after the last ended, paced by
/// <see cref="AntiEntropyOptions.RangesPerSecond"/> and <see cref="AntiEntropyOptions.BytesPerSecond"/>.
/// </summary>
public sealed partial class AntiEntropy(
    ClusterMembership membership, NodeCalls calls, IOptions<GatewayOptions> options, TimeProvider time,
    AntiEntropyTelemetry telemetry, ILogger<AntiEntropy> logger) : BackgroundService
{
    /// <summary>Sub-ranges a differing range is cut into at each level of narrowing.</summary>
    internal const int Splits = 16;

    /// <summary>A differing sub-range holding at most this many entries on every replica is scanned, not narrowed.</summary>
    internal const int LeafEntries = 128;

    private readonly ClusterMembership _membership = membership;
    private readonly NodeCalls _calls = calls;
    private readonly TimeProvider _time = time;
    private readonly AntiEntropyOptions _options = options.Value.AntiEntropy;
    private readonly int _replicationFactor = options.Value.ReplicationFactor;

    // Deadline of each Digest and Scan: a few replica timeouts, as the copies of a rebalance (each walks the store).
    private readonly TimeSpan _callTimeout = options.Value.ReplicaTimeout * 5;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AntiEntropyReport? _lastPass;
    private long _passes;
    private long _keysRepaired;
    private int _running;

    /// <summary>The configuration in use.</summary>
    public AntiEntropyOptions Options => _options;

    /// <summary>True while a pass runs.</summary>
    public bool Running => Volatile.Read(ref _running) != 0;

    /// <summary>The last pass that ended; null before the first.</summary>
    public AntiEntropyReport? LastPass => Volatile.Read(ref _lastPass);

    /// <summary>Passes ended since start.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Keys repaired since start, over all passes.</summary>
    public long KeysRepaired => Interlocked.Read(ref _keysRepaired);

    /// <summary>
    /// Runs one pass, after the one running (if any) has ended, and reports it. Cancelled with
    /// <paramref name="cancellationToken"/> (what it wrote stays).
    /// </summary>
    public async Task<AntiEntropyReport> RunAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _running, 1);
        try
        {
            var report = await new Pass(this, cancellationToken).RunAsync().ConfigureAwait(false);
            Volatile.Write(ref _lastPass, report);
            Interlocked.Increment(ref _passes);
            Interlocked.Add(ref _keysRepaired, report.KeysRepaired);
            telemetry.RecordPass(report);
            LogPass(report.RangesCompared, report.RangesDivergent, report.KeysRepaired, report.EntriesScanned,
                report.Took.TotalMilliseconds, report.Complete ? "complete" : $"incomplete: {string.Join("; ", report.Skipped)}");
            return report;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            _gate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.Interval, _time, stoppingToken).ConfigureAwait(false);
                await RunAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPassFailed(ex);
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Anti-entropy pass: {Compared} ranges compared, {Divergent} divergent, {Repaired} keys repaired, {Scanned} entries scanned, in {TookMs:F0} ms ({Outcome})")]
    private partial void LogPass(long compared, long divergent, long repaired, long scanned, double tookMs, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An anti-entropy pass failed; the next one runs after the interval")]
    private partial void LogPassFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Anti-entropy left {Node} out ({Reason})")]
    private partial void LogSkipped(string node, string reason);
}
