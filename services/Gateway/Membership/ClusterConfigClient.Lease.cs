using Microservices.Cache.V1;

namespace Microservices.Gateway.Membership;

/// <summary>Leases on a change in progress: claimed, renewed, and taken over.</summary>
public sealed partial class ClusterConfigClient
{
    /// <summary>
    /// Claims the change <paramref name="halfway"/> is in for this gateway: proposes the same configuration at the
    /// next epoch, naming this gateway, with a lease of <see cref="ClusterConfigOptions.ChangeLease"/> from now, and
    /// publishes it. This is both how the gateway that holds a change renews its lease and how another gateway takes
    /// over a change whose lease lapsed: a compare-and-set on the epoch like any proposal, so of two claims on one
    /// epoch at most one commits. Returns the view claimed. Errors as <see cref="ProposeAsync"/>.
    /// </summary>
    public async Task<ClusterView> ClaimAsync(ClusterView halfway, CancellationToken cancellationToken)
    {
        var config = await ProposeAsync(halfway, halfway, cancellationToken).ConfigureAwait(false);
        var claimed = halfway with { Epoch = config.Epoch };
        membership.Commit(claimed, config);
        return claimed;
    }

    /// <summary>
    /// Keeps this gateway's lease on the change <paramref name="halfway"/> (which it has just proposed or claimed)
    /// until the returned lease is stopped.
    /// </summary>
    public ChangeLease Hold(ClusterView halfway) => new(this, halfway, _lease / 3, time, logger);

    /// <summary>
    /// The newer configuration of another gateway that this gateway knows, when it held the change of
    /// <paramref name="held"/>: that gateway has taken the change over (its claim, or already the end of the change).
    /// A change halfway is changed only by a claim or by its end, so no other proposal can have replaced it. Null
    /// when this gateway knows of none.
    /// </summary>
    public ClusterConfig? TakenOver(ClusterView held) =>
        membership.Config is { } config && config.Epoch > held.Epoch && config.ChangedBy != membership.GatewayId ? config : null;
}
