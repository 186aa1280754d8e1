using Microservices.Gateway.Membership;

namespace Microservices.Gateway.Rebalancing;

/// <summary>What a membership change did: entries copied to new replicas, time taken, and the resulting view.</summary>
public sealed record RebalanceResult(long EntriesMoved, TimeSpan Took, ClusterView View);
