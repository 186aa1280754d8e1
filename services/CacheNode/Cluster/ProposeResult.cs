namespace Microservices.CacheNode.Cluster;

/// <summary>What <see cref="ClusterConfigRegister.Propose"/> did: the outcome, the committed epoch, and the proposal held.</summary>
public readonly record struct ProposeResult(ProposeOutcome Outcome, ulong Epoch, string? HeldId);
