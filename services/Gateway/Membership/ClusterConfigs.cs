using System.Globalization;
using Microservices.Cache.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Membership;

/// <summary>
/// Maps a <see cref="ClusterView"/> to the configuration the nodes keep (<c>cache.v1.ClusterConfig</c>). The
/// membership carries the wire type as it is: the gateway only writes it to nodes and reads it back, and building a
/// second type of the same shape would add a copy and nothing else.
/// </summary>
public static class ClusterConfigs
{
    /// <summary>
    /// The configuration of <paramref name="view"/> at <paramref name="epoch"/>: every node with its weight on the
    /// ring (0 when not on it) and on the pending ring during a change; a member leaving while DOWN is FAILED. During
    /// a change <paramref name="changedBy"/> holds it until <paramref name="leaseUntilUnixMs"/> (ignored otherwise).
    /// </summary>
    public static ClusterConfig From(ClusterView view, ulong epoch, string changedBy, long leaseUntilUnixMs = 0)
    {
        var config = new ClusterConfig { Epoch = epoch, ChangedBy = changedBy, LeaseUntilUnixMs = view.PendingRing is null ? 0 : leaseUntilUnixMs };
        foreach (var node in view.Nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            var weight = view.Ring.WeightOf(node.Name);
            var next = view.PendingRing is { } pending ? pending.WeightOf(node.Name) : weight;
            config.Members.Add(new ClusterMember
            {
                Name = node.Name,
                Address = node.Address.ToString(),
                Weight = (uint)weight,
                NextWeight = (uint)next,
                State = (weight, next) switch
                {
                    (0, _) => ClusterMemberState.Joining,
                    (_, 0) when node.State == MemberState.Down => ClusterMemberState.Failed,
                    (_, 0) => ClusterMemberState.Leaving,
                    _ => ClusterMemberState.Active,
                },
            });
        }

        return config;
    }

    /// <summary>The end of the lease on the change of <paramref name="config"/>, as an ISO 8601 UTC time, or "none" (0).</summary>
    public static string LeaseUntil(ClusterConfig config) => config.LeaseUntilUnixMs == 0
        ? "none"
        : ProtoTime.FromUnixMilliseconds(config.LeaseUntilUnixMs).ToDateTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks a configuration read from a node before the gateway routes by it: members' names, addresses and
    /// weights as AddNode would accept them, at least one member on the ring, and a lease that is not negative. Null
    /// when it is good.
    /// </summary>
    public static string? Check(ClusterConfig config)
    {
        if (config.LeaseUntilUnixMs < 0)
        {
            return $"lease_until_unix_ms: must not be negative, got {config.LeaseUntilUnixMs}";
        }

        var nodes = config.Members.Select(m => new NodeOptions { Name = m.Name, Address = m.Address, Weight = (int)Math.Max(m.Weight, m.NextWeight) }).ToList();
        if (NodeRules.CheckNodes(nodes, "members") is [var error, ..])
        {
            return error;
        }

        return config.Members.Any(m => m.Weight > 0) ? null : "members: none is on the ring";
    }
}
