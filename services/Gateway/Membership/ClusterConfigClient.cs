using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Membership;

/// <summary>
/// Changes the cluster configuration kept in the nodes, and reads it back. A change is proposed on the epoch of the
/// configuration this gateway routes by and commits when a majority of that configuration's members accept it
/// (compare-and-set on the epoch, <c>CacheNode.ProposeClusterConfig</c>); it then goes to every node involved. A
/// proposal made on an old epoch is refused, never merged: the gateway reloads the newer configuration and the
/// change fails with FAILED_PRECONDITION, to be made again on what the cluster now is.
/// </summary>
public sealed partial class ClusterConfigClient(
    ClusterMembership membership, IOptions<GatewayOptions> options, TimeProvider time, ILogger<ClusterConfigClient> logger)
{
    // A node holds an accepted proposal for 10 s (ClusterConfigRegister.ProposalHold); committing later could meet a
    // node that has since accepted another one, so a proposal that took longer is given up.
    private static readonly TimeSpan CommitWithin = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _timeout = options.Value.ReplicaTimeout;
    private readonly TimeSpan _lease = options.Value.ClusterConfig.ChangeLease;

    /// <summary>
    /// Proposes <paramref name="next"/> as the configuration after <paramref name="current"/> (its epoch + 1) and
    /// commits it to every node of both; returns the configuration committed. When <paramref name="next"/> is halfway
    /// through a change, this gateway holds it for <see cref="ClusterConfigOptions.ChangeLease"/> from now (see
    /// <see cref="ClaimAsync"/>). Call inside <see cref="ClusterMembership.ChangeAsync{T}"/>, which publishes.
    /// Errors: FAILED_PRECONDITION when the cluster has moved to a newer epoch (this gateway has then reloaded it),
    /// ABORTED when another gateway's proposal on the same epoch is held, UNAVAILABLE when no majority answered.
    /// </summary>
    public async Task<ClusterConfig> ProposeAsync(ClusterView current, ClusterView next, CancellationToken cancellationToken)
    {
        var config = ClusterConfigs.From(next, current.Epoch + 1, membership.GatewayId, (time.GetUtcNow() + _lease).ToUnixTimeMilliseconds());
        var proposal = $"{membership.GatewayId}/{Guid.NewGuid():N}";
        var targets = current.Nodes.Values.Concat(next.Nodes.Values).DistinctBy(n => n.Name).ToList();
        var started = Stopwatch.GetTimestamp();
        var majority = current.Nodes.Count / 2 + 1;
        var answers = await UntilAsync(
            targets.Select(node => ProposeToAsync(node, current.Epoch, proposal, config, cancellationToken)).ToList(),
            answer => answer.Accepted && current.Nodes.ContainsKey(answer.Node), majority).ConfigureAwait(false);
        var accepted = answers.Count(answer => answer.Accepted && current.Nodes.ContainsKey(answer.Node));
        if (accepted >= majority && Stopwatch.GetElapsedTime(started) < CommitWithin)
        {
            // The nodes that have not answered yet get it in the background; a node this misses is brought up to date
            // by the next reload of any gateway.
            await UntilAsync(targets.Select(node => CommitToAsync(node, config, cancellationToken)).ToList(), applied => applied, majority).ConfigureAwait(false);
            LogCommitted(logger, config.Epoch, accepted, current.Nodes.Count);
            return config;
        }

        if (answers.Where(a => a.Epoch > current.Epoch).MaxBy(a => a.Epoch) is { } newer)
        {
            var reloaded = await ReloadAsync(cancellationToken).ConfigureAwait(false);
            RpcErrors.Throw(StatusCode.FailedPrecondition, string.Create(CultureInfo.InvariantCulture,
                $"epoch: the change was proposed on epoch {current.Epoch} but the cluster is at epoch {newer.Epoch} (changed by another gateway); this gateway now routes by epoch {reloaded}: make the change again if it still applies"));
        }

        if (answers.FirstOrDefault(a => a.Held is not null) is { Held: { } held })
        {
            RpcErrors.Throw(StatusCode.Aborted, $"epoch: another change on epoch {current.Epoch} is in progress ({held}); nothing changed, retry when it ends");
        }

        RpcErrors.Throw(StatusCode.Unavailable, string.Create(CultureInfo.InvariantCulture,
            $"epoch: {accepted} of {current.Nodes.Count} nodes of epoch {current.Epoch} accepted the change in time, a majority is needed; nothing changed"));
        return config;
    }

    /// <summary>
    /// Asks every node of the current view for its configuration; routes by the newest one above this gateway's
    /// epoch, then gives the configuration it routes by to the nodes that are behind (restarted empty, or down
    /// during a change). Call inside a change (<see cref="ClusterMembership.TryChangeAsync"/>). Returns the epoch
    /// routed by.
    /// </summary>
    public async Task<ulong> ReloadAsync(CancellationToken cancellationToken)
    {
        var view = membership.View;
        var nodes = view.Nodes.Values.ToList();
        var replies = await Task.WhenAll(nodes.Select(node => GetFromAsync(node, view.Epoch, cancellationToken))).ConfigureAwait(false);
        if (replies.Where(r => r?.Config is not null).MaxBy(r => r!.Epoch) is { Config: { } newest })
        {
            if (ClusterConfigs.Check(newest) is { } error)
            {
                LogUnusable(logger, newest.Epoch, error);
            }
            else
            {
                membership.Apply(newest);
                LogReloaded(logger, view.Epoch, newest.Epoch, newest.ChangedBy);
            }
        }

        if (membership.Config is { } config)
        {
            var behind = nodes.Where((node, i) => replies[i] is { } reply && reply.Epoch < config.Epoch && membership.View.Nodes.ContainsKey(node.Name));
            await Task.WhenAll(behind.Select(node => CommitToAsync(node, config, cancellationToken))).ConfigureAwait(false);
        }

        return membership.View.Epoch;
    }

    // Waits until `enough` of the calls ended with a result that `counts`, or all of them ended; returns the results
    // of the calls that ended. The others run on (they catch their own errors).
    private static async Task<List<T>> UntilAsync<T>(List<Task<T>> calls, Func<T, bool> counts, int enough)
    {
        var ended = new List<T>(calls.Count);
        var running = new List<Task<T>>(calls);
        while (running.Count > 0 && ended.Count(counts) < enough)
        {
            var call = await Task.WhenAny(running).ConfigureAwait(false);
            running.Remove(call);
            ended.Add(await call.ConfigureAwait(false));
        }

        return ended;
    }

    private async Task<Answer> ProposeToAsync(ClusterNode node, ulong baseEpoch, string proposal, ClusterConfig config, CancellationToken cancellationToken)
    {
        var answer = await ProposeOnceAsync(node, baseEpoch, proposal, config, cancellationToken).ConfigureAwait(false);
        if (answer.Epoch < baseEpoch && membership.Config is { Epoch: var known } current && known == baseEpoch)
        {
            // The node is behind (restarted empty, or missed a commit): give it the configuration the change is made on, then ask again.
            await CommitToAsync(node, current, cancellationToken).ConfigureAwait(false);
            answer = await ProposeOnceAsync(node, baseEpoch, proposal, config, cancellationToken).ConfigureAwait(false);
        }

        return answer;
    }

    private async Task<Answer> ProposeOnceAsync(ClusterNode node, ulong baseEpoch, string proposal, ClusterConfig config, CancellationToken cancellationToken)
    {
        var call = node.Client.ProposeClusterConfigAsync(
            new ProposeClusterConfigRequest { BaseEpoch = baseEpoch, ProposalId = proposal, Config = config },
            deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken);
        try
        {
            await call.ConfigureAwait(false);
            return new(node.Name, true, baseEpoch, null);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            var epoch = ulong.TryParse(ex.Trailers.GetValue("x-cluster-epoch"), NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : baseEpoch;
            return new(node.Name, false, epoch, null);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Aborted)
        {
            return new(node.Name, false, baseEpoch, ex.Status.Detail);
        }
        catch (RpcException ex)
        {
            LogNoAnswer(logger, node.Name, ex.StatusCode);
            return new(node.Name, false, baseEpoch, null);
        }
    }

    private async Task<GetClusterConfigResponse?> GetFromAsync(ClusterNode node, ulong known, CancellationToken cancellationToken)
    {
        try
        {
            return await node.Client.GetClusterConfigAsync(
                new GetClusterConfigRequest { KnownEpoch = known }, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    // Best effort: a node this misses is brought up to date by the next reload (ReloadAsync) of any gateway. True
    // when the node holds the configuration's epoch (or a newer one) afterwards.
    private async Task<bool> CommitToAsync(ClusterNode node, ClusterConfig config, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await node.Client.CommitClusterConfigAsync(
                new CommitClusterConfigRequest { Config = config }, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (reply.Applied)
            {
                LogGiven(logger, node.Name, config.Epoch);
            }

            return reply.Epoch >= config.Epoch;
        }
        catch (RpcException ex)
        {
            LogNoAnswer(logger, node.Name, ex.StatusCode);
            return false;
        }
    }

    // A node's answer to a proposal: accepted, the node's epoch, and the proposal it holds instead (ABORTED).
    private sealed record Answer(string Node, bool Accepted, ulong Epoch, string? Held);

    [LoggerMessage(LogLevel.Information, "Cluster configuration epoch {Epoch} committed ({Accepted} of {Members} members accepted)")]
    private static partial void LogCommitted(ILogger logger, ulong epoch, int accepted, int members);

    [LoggerMessage(LogLevel.Information, "Cluster configuration reloaded: epoch {Was} -> {Epoch}, changed by {ChangedBy}")]
    private static partial void LogReloaded(ILogger logger, ulong was, ulong epoch, string changedBy);

    [LoggerMessage(LogLevel.Debug, "Cluster configuration epoch {Epoch} given to node {Node}")]
    private static partial void LogGiven(ILogger logger, string node, ulong epoch);

    [LoggerMessage(LogLevel.Warning, "Cluster configuration epoch {Epoch} read from a node is not usable ({Reason}); routing stays as it is")]
    private static partial void LogUnusable(ILogger logger, ulong epoch, string reason);

    [LoggerMessage(LogLevel.Debug, "Node {Node} did not answer a cluster configuration call ({Status})")]
    private static partial void LogNoAnswer(ILogger logger, string node, StatusCode status);
}
