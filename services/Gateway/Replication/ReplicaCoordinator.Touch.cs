using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Touch: a later expiry for one version of a key on its own replicas, for sliding expiration. Unlike a write, a
/// touch carries no new version: each replica extends the version only if it holds exactly that version live (see
/// the node's Touch), so a write that lands between the read and the touch keeps its own value and expiry.
/// </summary>
public sealed partial class ReplicaCoordinator
{
    /// <summary>
    /// Asks every reachable own replica of <paramref name="key"/> (namespaced) to move the expiry of
    /// <paramref name="version"/> to <paramref name="expiresAt"/>, and waits for all of them (each call has the node
    /// deadline). Not cancelled with the caller once sent, as a write.
    /// </summary>
    public async Task<ReplicaTouch> TouchAsync(string key, ProtoVersion version, Timestamp expiresAt, ConsistencyLevel level)
    {
        var failures = new List<string>();
        var own = membership.View.Replicas(KeyHash.Of(key), ReplicationFactor);
        var required = Consistency.Required(level, own.Length);
        var request = new TouchRequest { Key = key, Version = version, ExpiresAt = expiresAt };
        var targets = new List<ClusterNode>(own.Length);
        foreach (var node in own)
        {
            if (node.IsReachable)
            {
                targets.Add(node);
            }
            else
            {
                failures.Add($"{node.Name}: DOWN");
            }
        }

        var replies = await Task.WhenAll(targets.Select(node => TouchOneAsync(node, request))).ConfigureAwait(false);
        var extendedBy = new List<string>();
        var answered = 0;
        var superseded = false;
        var expiresAtMs = 0L;
        for (var i = 0; i < replies.Length; i++)
        {
            var (reply, error) = replies[i];
            if (reply is null)
            {
                failures.Add(ReplicaCalls.Describe(targets[i], error!));
                continue;
            }

            answered++;
            if (reply.Outcome == TouchOutcome.Extended)
            {
                extendedBy.Add(targets[i].Name);
                if (reply.ExpiresAt is { } at && ProtoTime.TryToUnixMilliseconds(at, "expires_at", out var ms) is null)
                {
                    expiresAtMs = Math.Max(expiresAtMs, ms);
                }
            }
            else if (reply.Current is { } current && Versions.Compare(current, version) > 0)
            {
                clock.Observe(current.Timestamp);
                superseded = true;
            }
        }

        return new ReplicaTouch(extendedBy, required, answered, superseded, expiresAtMs, failures);
    }

    private async Task<(Cache.V1.TouchResponse? Reply, Exception? Error)> TouchOneAsync(ClusterNode node, TouchRequest request)
    {
        try
        {
            var reply = await node.Client.TouchAsync(request, deadline: calls.Deadline()).ResponseAsync.ConfigureAwait(false);
            calls.Observe(node, null);
            return (reply, null);
        }
        catch (Exception ex) when (ex is RpcException or HttpRequestException)
        {
            calls.Observe(node, ex);
            return (null, ex);
        }
    }
}
