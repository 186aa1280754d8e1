namespace Microservices.CacheNode.Cluster;

/// <summary>
/// The cluster's configuration as this node holds it: a register of (epoch, configuration) that only moves to a
/// higher epoch, changed in two phases. <see cref="Propose"/> is a compare-and-set on the epoch: it holds one
/// proposal made on the current epoch (for <see cref="ProposalHold"/>) and refuses every other, so of two gateways
/// that propose on the same epoch at most one gathers a majority of nodes. <see cref="Commit"/> installs a
/// configuration a majority accepted, or one that is newer than this node's (the node was behind). The
/// configuration is kept as the opaque bytes the gateways wrote: the node compares epochs, never members.
/// </summary>
/// <remarks>
/// The two phases are single-decree Paxos without ballots (a proposal expires instead of being pre-empted), as
/// Redis Cluster's config epochs are made unique by a vote. A gateway commits only within half the hold of its
/// proposal, so a held proposal does not expire while its commit is on the way.
/// </remarks>
public sealed class ClusterConfigRegister(TimeProvider time)
{
    /// <summary>How long an accepted proposal blocks the others made on the same epoch.</summary>
    public static readonly TimeSpan ProposalHold = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private ulong _epoch;
    private byte[]? _config;
    private string? _heldId;
    private long _heldUntil;

    /// <summary>The committed epoch (0: none yet) and configuration (null when none).</summary>
    public (ulong Epoch, byte[]? Config) Current
    {
        get
        {
            lock (_lock)
            {
                return (_epoch, _config);
            }
        }
    }

    /// <summary>
    /// Holds proposal <paramref name="proposalId"/> made on <paramref name="baseEpoch"/> when that is the committed
    /// epoch and no other proposal is held; the same proposal again is accepted again.
    /// </summary>
    public ProposeResult Propose(ulong baseEpoch, string proposalId)
    {
        lock (_lock)
        {
            if (baseEpoch != _epoch)
            {
                return new(ProposeOutcome.StaleBase, _epoch, null);
            }

            var now = time.GetTimestamp();
            if (_heldId is not null && _heldId != proposalId && now < _heldUntil)
            {
                return new(ProposeOutcome.Held, _epoch, _heldId);
            }

            _heldId = proposalId;
            _heldUntil = now + (long)(ProposalHold.TotalSeconds * time.TimestampFrequency);
            return new(ProposeOutcome.Accepted, _epoch, proposalId);
        }
    }

    /// <summary>Installs <paramref name="config"/> of <paramref name="epoch"/> when that is above the committed epoch.</summary>
    public bool Commit(ulong epoch, byte[] config)
    {
        lock (_lock)
        {
            if (epoch <= _epoch)
            {
                return false;
            }

            _epoch = epoch;
            _config = config;
            _heldId = null;
            return true;
        }
    }
}
