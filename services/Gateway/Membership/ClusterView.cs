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

    /// <summary>How many replicas a key has: the replication factor, or fewer when the ring has fewer nodes.</summary>
    public int ReplicaCount(int replicationFactor) => Math.Min(replicationFactor, Ring.Nodes.Count);

    /// <summary>
    /// Every node of the ring in order from <paramref name="hash"/> that is not DOWN: the reachable replicas first,
    /// then the stand-ins a sloppy quorum uses in place of the others.
    /// </summary>
    public ClusterNode[] Reachable(ulong hash)
    {
        var ringNodes = Ring.Nodes;
        var order = ringNodes.Count <= 256 ? stackalloc int[ringNodes.Count] : new int[ringNodes.Count];
        var count = Ring.PreferenceList(hash, order);
        var nodes = new ClusterNode[count];
        var reachable = 0;
        for (var i = 0; i < count; i++)
        {
            var node = Nodes[ringNodes[order[i]]];
            if (node.IsReachable)
            {
                nodes[reachable++] = node;
            }
        }

        return reachable == count ? nodes : nodes[..reachable];
    }

    /// <summary>During a change, the key's owners under the new ring that are not owners under the current one.</summary>
    public IEnumerable<ClusterNode> PendingOwners(ulong hash, int replicationFactor, IReadOnlyCollection<ClusterNode> current) =>
        PendingRing is null
            ? []
            : PendingRing.PreferenceNames(hash, replicationFactor).Select(name => Nodes[name]).Where(node => !current.Contains(node));
}
