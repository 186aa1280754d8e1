using System.Runtime.CompilerServices;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Membership;

/// <summary>
/// Moves nodes between UP, SUSPECT and DOWN from what calls and probes see: the first failed call makes a node
/// SUSPECT (still used), <see cref="GatewayOptions.DownAfterFailures"/> consecutive failures make it DOWN
/// (skipped by requests). SUSPECT nodes are probed every interval, DOWN ones with a doubling backoff. A call that
/// timed out only makes a node SUSPECT: when this gateway is overloaded every
/// call times out, and that says nothing about the nodes; the probes then decide (a probe that fails counts).
/// A successful call brings a SUSPECT node back; a DOWN node comes back only when a grpc.health.v1 probe answers
/// SERVING (probes back off from 1 s, doubling to 30 s), never by itself, and then as RECOVERING: it may have
/// restarted empty, so it takes writes but is not read until its hints and resync have landed
/// (<see cref="Resynced"/>). A RECOVERING node whose calls fail goes DOWN after as many failures as an UP one.
/// </summary>
public sealed partial class FailureDetector(
    IOptions<GatewayOptions> options, TimeProvider time, GatewayTelemetry telemetry, ILogger<FailureDetector> logger)
{
    private readonly Lock _gate = new();
    private readonly GatewayOptions _options = options.Value;
    private readonly ConditionalWeakTable<ClusterNode, Tracking> _tracking = [];

    /// <summary>
    /// Raised (outside the lock) when a node is back, with the state it left: a SUSPECT node is UP again and its
    /// hints can be replayed; a DOWN one (or one seen restarted, <see cref="Restarted"/>) is RECOVERING, maybe
    /// restarted empty, and is to be resynchronised.
    /// </summary>
    public event Action<ClusterNode, MemberState>? NodeRecovered;

    /// <summary>
    /// True when a failure of this kind says something about the node (not about the request): the transport
    /// (UNAVAILABLE, INTERNAL: gRPC's own protocol errors, connection errors) or time (DEADLINE_EXCEEDED, CANCELLED).
    /// Statuses a handler answers about one request (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, and UNKNOWN, which is what
    /// an unhandled exception in a handler becomes, e.g. on one key's bad data) never count against the node.
    /// </summary>
    public static bool IsNodeFailure(Exception exception) => exception switch
    {
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal
            or StatusCode.Cancelled,
        _ => exception is HttpRequestException or IOException,
    };

    /// <summary>True for a timeout: the node may be slow, or this gateway overloaded.</summary>
    public static bool IsTimeout(Exception exception) =>
        exception is RpcException { StatusCode: StatusCode.DeadlineExceeded or StatusCode.Cancelled };

    /// <summary>A call to the node succeeded.</summary>
    public void Succeeded(ClusterNode node)
    {
        if (node.State != MemberState.Suspect && (!_tracking.TryGetValue(node, out var seen) || Volatile.Read(ref seen.Failures) == 0))
        {
            return; // the common case, without the lock
        }

        var recovered = false;
        lock (_gate)
        {
            Of(node).Failures = 0;
            if (node.State == MemberState.Suspect)
            {
                recovered = Change(node, MemberState.Up, "a call succeeded");
            }
        }

        if (recovered)
        {
            NodeRecovered?.Invoke(node, MemberState.Suspect);
        }
    }

    /// <summary>
    /// A call to the node failed in a way that says the node may be gone. A timeout (<paramref name="timedOut"/>)
    /// makes it SUSPECT and probed, but does not count toward DOWN.
    /// </summary>
    public void Failed(ClusterNode node, string reason, bool timedOut = false)
    {
        lock (_gate)
        {
            var tracking = Of(node);
            if (!timedOut)
            {
                tracking.Failures++;
            }

            if (node.State == MemberState.Up)
            {
                Change(node, MemberState.Suspect, reason);
                ScheduleProbe(node, reset: true);
            }

            // A RECOVERING node is not read, so it is not made SUSPECT (which is read); it is DOWN, and probed, once
            // its failures say it is gone again.
            if (node.State is MemberState.Suspect or MemberState.Recovering && tracking.Failures >= _options.DownAfterFailures)
            {
                if (node.State == MemberState.Recovering)
                {
                    ScheduleProbe(node, reset: true);
                }

                Change(node, MemberState.Down, reason);
            }
        }
    }

    /// <summary>
    /// <paramref name="node"/> answered as a new run of itself (<see cref="ServiceDefaults.NodeInstanceHeader"/>): it
    /// restarted, and lost what it held, perhaps before its failures made it DOWN. An UP or SUSPECT node is RECOVERING
    /// from now, as one back from DOWN (<see cref="NodeRecovered"/> is raised with DOWN: it is resynchronised), and
    /// true is returned, so the answer is not used. A node in any other state is on its way already: false.
    /// </summary>
    public bool Restarted(ClusterNode node)
    {
        lock (_gate)
        {
            if (node.State is not (MemberState.Up or MemberState.Suspect))
            {
                return false;
            }

            Of(node).Failures = 0;
            Change(node, MemberState.Recovering, "it restarted (a new instance id), so it may have lost its data");
        }

        NodeRecovered?.Invoke(node, MemberState.Down);
        return true;
    }

    /// <summary>
    /// A RECOVERING node's hints and resync have landed: it is UP and read again. False when it is no longer
    /// RECOVERING (it went DOWN meanwhile, and comes back as RECOVERING again).
    /// </summary>
    public bool Resynced(ClusterNode node)
    {
        lock (_gate)
        {
            return node.State == MemberState.Recovering && Change(node, MemberState.Up, "its hints and resync have landed");
        }
    }

    /// <summary>True when a SUSPECT or DOWN node's next probe is due.</summary>
    public bool ProbeDue(ClusterNode node)
    {
        lock (_gate)
        {
            return node.State is MemberState.Suspect or MemberState.Down && time.GetTimestamp() >= Of(node).NextProbe;
        }
    }

    /// <summary>A probe answered (<paramref name="serving"/>) or failed; the next one backs off when it failed.</summary>
    public void Probed(ClusterNode node, bool serving, string detail)
    {
        var recovered = false;
        var before = node.State;
        lock (_gate)
        {
            before = node.State;
            if (before is not (MemberState.Suspect or MemberState.Down))
            {
                return;
            }

            var tracking = Of(node);
            if (serving)
            {
                tracking.Failures = 0;
                recovered = Change(node, before == MemberState.Down ? MemberState.Recovering : MemberState.Up, "it answered a health probe");
            }
            else
            {
                tracking.Failures++;
                if (node.State == MemberState.Suspect && tracking.Failures >= _options.DownAfterFailures)
                {
                    Change(node, MemberState.Down, detail);
                }

                // While SUSPECT, probe every interval so a dead node is DOWN in a few seconds; once DOWN, back off.
                ScheduleProbe(node, reset: node.State == MemberState.Suspect);
            }
        }

        if (recovered)
        {
            NodeRecovered?.Invoke(node, before);
        }
    }

    private void ScheduleProbe(ClusterNode node, bool reset)
    {
        var tracking = Of(node);
        tracking.ProbeBackoff = reset || tracking.ProbeBackoff == TimeSpan.Zero
            ? _options.ProbeInterval
            : TimeSpan.FromTicks(Math.Min(tracking.ProbeBackoff.Ticks * 2, _options.MaxProbeInterval.Ticks));
        tracking.NextProbe = time.GetTimestamp() + (long)(tracking.ProbeBackoff.TotalSeconds * time.TimestampFrequency);
    }

    // What is counted about a node, kept as long as the node is (a node that leaves the ring takes it along).
    private Tracking Of(ClusterNode node) => _tracking.GetValue(node, static _ => new Tracking());

    private bool Change(ClusterNode node, MemberState state, string reason)
    {
        var before = node.State;
        if (before == state)
        {
            return false;
        }

        node.State = state;
        telemetry.RecordNodeState(node.Name, state);
        if (state is MemberState.Up or MemberState.Recovering)
        {
            LogRecovered(logger, node.Name, state, before, reason);
        }
        else
        {
            LogDegraded(logger, node.Name, before, state, Of(node).Failures, reason);
        }

        return true;
    }

    [LoggerMessage(LogLevel.Information, "Node {Node} is {State} (was {Before}): {Reason}")]
    private static partial void LogRecovered(ILogger logger, string node, MemberState state, MemberState before, string reason);

    [LoggerMessage(LogLevel.Warning, "Node {Node} is {State} (was {Before}) after {Failures} consecutive failures: {Reason}")]
    private static partial void LogDegraded(ILogger logger, string node, MemberState before, MemberState state, int failures, string reason);

    // Written under the gate; Failures is also read without it, on the path of every successful call.
    private sealed class Tracking
    {
        public int Failures;
        public long NextProbe;
        public TimeSpan ProbeBackoff;
    }
}
