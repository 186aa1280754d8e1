using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway;

/// <summary>The gateway's ActivitySource and Meter (<c>Microservices.Gateway</c>).</summary>
public sealed class GatewayTelemetry
{
    /// <summary>Name of the ActivitySource and the Meter.</summary>
    public static readonly string Name = ServiceTelemetry.NameOf("Gateway");

    /// <summary>Spans of the gateway.</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _requests;
    private readonly Counter<long> _rateLimit;
    private readonly Counter<long> _replicaErrors;
    private readonly Counter<long> _nodeStates;
    private readonly Counter<long> _hints;
    private readonly Counter<long> _readRepairs;
    private readonly Counter<long> _blockingRepairs;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _replicaReads;
    private readonly Gauge<long> _clockOffset;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _conditionalWrites;
    private readonly Counter<long> _sessionCatchUps;
    private readonly Counter<long> _takeovers;

    /// <summary>Creates the meter.</summary>
    public GatewayTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _requests = meter.CreateCounter<long>("gateway.cache.requests", "{request}", "Cache requests by operation and result.");
        _rateLimit = meter.CreateCounter<long>("gateway.ratelimit.decisions", "{decision}", "Rate-limit outcomes: allowed, denied (by the limiter), local_allowed, local_denied (by the gateway's local bucket), failed_open, failed_closed.");
        _replicaErrors = meter.CreateCounter<long>("gateway.replica.errors", "{error}", "Calls to cache nodes that failed.");
        _nodeStates = meter.CreateCounter<long>("gateway.node.state_changes", "{change}", "Node state changes, by node and new state.");
        _hints = meter.CreateCounter<long>("gateway.hints", "{hint}", "Hinted writes by outcome: queued, replayed, dropped (store full), refused (by the node, for good).");
        _readRepairs = meter.CreateCounter<long>("gateway.read_repairs", "{repair}", "Stale replicas rewritten with the newest version after a read, by mode: async (after a read at ONE, in the background) or blocking (a QUORUM or ALL read waits for it).");
        _blockingRepairs = meter.CreateCounter<long>(
            "gateway.read_repair.blocked_reads", "{read}", "Reads (one key of a MultiGet each) whose replicas disagreed and that waited for read repair, by result: repaired, or unavailable (too few replicas could take the newest version).");
        _lookups = meter.CreateCounter<long>(
            "gateway.cache.lookups", "{lookup}", "Get results: hit (from the cache), origin (a miss loaded from the origin), miss. Hit ratio = hit / all.");
        _replicaReads = meter.CreateCounter<long>(
            "gateway.replica.reads", "{read}", "Answers to single-key reads, by the replica (node) that answered: how Gateway:ReadReplicaSelection spreads reads.");
        _clockOffset = meter.CreateGauge<long>(
            "gateway.clock.offset", "ms", "The cache nodes' clocks minus this gateway's (median of the nodes measured): positive when this gateway's clock is behind.");
        _conflicts = meter.CreateCounter<long>(
            "gateway.conflicts", "{write}", "Writes that met a concurrent version of their key on a replica (neither had seen the other), by policy (last_writer_wins, siblings) and outcome: won (it replaced the concurrent version), lost (the concurrent version is newer and stays), sibling (kept beside it).");
        _conditionalWrites = meter.CreateCounter<long>(
            "gateway.conditional_writes", "{write}", "Writes with if_version or if_absent, by outcome: met (written), met_after_race (written, then written again after a concurrent conditional write that reached a replica first), refused (FAILED_PRECONDITION, nothing written by this request), unavailable (the condition or the write could not reach its level).");
        _takeovers = meter.CreateCounter<long>(
            "gateway.cluster.change_takeovers", "{takeover}",
            "Attempts to take over a membership change left halfway (its gateway's lease lapsed, or it is this gateway's own), by outcome: " +
            "finished (new ring committed), reverted (the copy failed; the old ring committed), refused (another gateway claimed it first, or no majority answered), " +
            "unfinished (claimed, but its end was not committed here).");
        _sessionCatchUps = meter.CreateCounter<long>(
            "gateway.session.catch_ups", "{read}", "Session reads whose replicas answered older than the session's token, by result: caught_up (another replica had it; the stale ones were repaired), behind (none had it: UNAVAILABLE), miss (no replica holds the key).");
    }

    /// <summary>Counts one attempt to take over a change left halfway, by <paramref name="outcome"/>.</summary>
    public void RecordTakeover(string outcome) => _takeovers.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts one conditional write (<c>if_version</c>, <c>if_absent</c>) by <paramref name="outcome"/>.</summary>
    public void RecordConditionalWrite(string outcome) => _conditionalWrites.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts one session read whose first answer was older than the session's token, by <paramref name="result"/>.</summary>
    public void RecordSessionCatchUp(string result) => _sessionCatchUps.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Counts one write that met a concurrent version, by <paramref name="policy"/> and <paramref name="outcome"/>.</summary>
    public void RecordConflict(string policy, string outcome) => _conflicts.Add(
        1, new KeyValuePair<string, object?>("policy", policy), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Records the last measured clock offset, in milliseconds.</summary>
    public void RecordClockOffset(long offsetMs) => _clockOffset.Record(offsetMs);

    /// <summary>Counts a node state change.</summary>
    public void RecordNodeState(string node, Membership.MemberState state) => _nodeStates.Add(
        1, new KeyValuePair<string, object?>("node", node), new KeyValuePair<string, object?>("state", state.ToString()));

    /// <summary>Counts hints by outcome.</summary>
    public void RecordHints(string outcome, long count = 1)
    {
        if (count > 0)
        {
            _hints.Add(count, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    /// <summary>Counts one Get result: hit, origin or miss.</summary>
    public void RecordLookup(string result) => _lookups.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Counts one stale replica written back, <paramref name="mode"/> "async" or "blocking".</summary>
    public void RecordReadRepair(string mode) => _readRepairs.Add(1, new KeyValuePair<string, object?>("mode", mode));

    /// <summary>Counts one read that waited for its repair, <paramref name="result"/> "repaired" or "unavailable".</summary>
    public void RecordBlockedRead(string result) => _blockingRepairs.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Counts one answer to a single-key read from <paramref name="node"/>.</summary>
    public void RecordReplicaRead(string node) => _replicaReads.Add(1, new KeyValuePair<string, object?>("node", node));

    /// <summary>Counts one cache request.</summary>
    public void RecordRequest(string operation, string result) =>
        _requests.Add(1, new KeyValuePair<string, object?>("op", operation), new KeyValuePair<string, object?>("result", result));

    /// <summary>Counts one rate-limit outcome.</summary>
    public void RecordRateLimit(string outcome) => _rateLimit.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts failed replica calls.</summary>
    public void RecordReplicaErrors(int count)
    {
        if (count > 0)
        {
            _replicaErrors.Add(count);
        }
    }
}
