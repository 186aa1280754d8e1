using System.Collections.Frozen;
using Microservices.Gateway.Routing;

namespace Microservices.Gateway.Membership;

/// <summary>
/// An immutable snapshot of the cluster: the ring, the nodes, and during a membership change the ring it is
/// moving to (<see cref="PendingRing"/>): writes then reach the owners under both rings. Requests use one snapshot
/// throughout.
/// </summary>
public sealed record ClusterView(HashRing Ring, FrozenDictionary<string, ClusterNode> Nodes, HashRing? PendingRing = null)
{
    /// <summary>The nodes of the preference list of <paramref name="hash"/>, owner first.</summary>
    public ClusterNode[] Replicas(ulong hash, int replicationFactor)
    {
        var names = Ring.PreferenceNames(hash, replicationFactor);
        var nodes = new ClusterNode[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            nodes[i] = Nodes[names[i]];
        }

        return nodes;
    }

    /// <summary>
    /// Every node of the ring in order from <paramref name="hash"/> that is not DOWN: the reachable replicas first,
    /// then the stand-ins a sloppy quorum uses in place of the others.
    /// </summary>
    public List<ClusterNode> Reachable(ulong hash)
    {
        var names = Ring.PreferenceNames(hash, Nodes.Count);
        var nodes = new List<ClusterNode>(names.Length);
        foreach (var name in names)
        {
            var node = Nodes[name];
            if (node.IsReachable)
            {
                nodes.Add(node);
            }
        }

        return nodes;
    }

    /// <summary>During a change, the key's owners under the new ring that are not owners under the current one.</summary>
    public IEnumerable<ClusterNode> PendingOwners(ulong hash, int replicationFactor, IReadOnlyCollection<ClusterNode> current) =>
        PendingRing is null
            ? []
            : PendingRing.PreferenceNames(hash, replicationFactor).Select(name => Nodes[name]).Where(node => !current.Contains(node));
}
