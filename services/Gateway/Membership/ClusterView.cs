using System.Collections.Frozen;
using Microservices.Gateway.Routing;

namespace Microservices.Gateway.Membership;

/// <summary>
/// An immutable snapshot of the cluster: the ring, the nodes, and during a membership change the ring it is
/// moving to (<see cref="PendingRing"/>): writes then reach the owners under both rings. Requests use one snapshot
/// throughout. <see cref="Epoch"/> is the epoch of the cluster configuration it was built from (0: the configured
/// nodes, before any change).
/// </summary>
public sealed record ClusterView(HashRing Ring, FrozenDictionary<string, ClusterNode> Nodes, HashRing? PendingRing = null, ulong Epoch = 0)
{
    /// <summary>The nodes of the preference list of <paramref name="hash"/>, owner first.</summary>
    public ClusterNode[] Replicas(ulong hash, int replicationFactor) => InRingOrder(hash, replicationFactor, reachableOnly: false);

    /// <summary>How many replicas a key has: the replication factor, or fewer when the ring has fewer nodes.</summary>
    public int ReplicaCount(int replicationFactor) => Math.Min(replicationFactor, Ring.Nodes.Count);

    /// <summary>
    /// Every node of the ring in order from <paramref name="hash"/> that is not DOWN: the reachable replicas first,
    /// then the stand-ins a sloppy quorum uses in place of the others.
    /// </summary>
    public ClusterNode[] Reachable(ulong hash) => InRingOrder(hash, Ring.Nodes.Count, reachableOnly: true);

    // The first `count` distinct nodes clockwise from the hash (the unreachable ones left out when asked).
    private ClusterNode[] InRingOrder(ulong hash, int count, bool reachableOnly)
    {
        var ringNodes = Ring.Nodes;
        var wanted = Math.Min(count, ringNodes.Count);
        var order = wanted <= 256 ? stackalloc int[wanted] : new int[wanted];
        var found = Ring.PreferenceList(hash, order);
        var nodes = new ClusterNode[found];
        var kept = 0;
        for (var i = 0; i < found; i++)
        {
            var node = Nodes[ringNodes[order[i]]];
            if (!reachableOnly || node.IsReachable)
            {
                nodes[kept++] = node;
            }
        }

        return kept == found ? nodes : nodes[..kept];
    }

    /// <summary>During a change, the key's owners under the new ring that are not owners under the current one.</summary>
    public IEnumerable<ClusterNode> PendingOwners(ulong hash, int replicationFactor, IReadOnlyCollection<ClusterNode> current) =>
        PendingRing is null
            ? []
            : PendingRing.PreferenceNames(hash, replicationFactor).Select(name => Nodes[name]).Where(node => !current.Contains(node));
}
