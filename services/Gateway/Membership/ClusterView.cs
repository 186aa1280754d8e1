using System.Collections.Frozen;
using Microservices.Gateway.Routing;

namespace Microservices.Gateway.Membership;

/// <summary>An immutable snapshot of the cluster: the ring and the nodes on it. Requests use one snapshot throughout.</summary>
public sealed record ClusterView(HashRing Ring, FrozenDictionary<string, ClusterNode> Nodes)
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
}
