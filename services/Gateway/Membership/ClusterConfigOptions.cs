namespace Microservices.Gateway.Membership;

/// <summary>
/// How the gateway follows the cluster configuration kept in the nodes (section <c>Gateway:ClusterConfig</c>),
/// checked by <see cref="ClusterConfigOptionsValidator"/>.
/// </summary>
public sealed class ClusterConfigOptions
{
    /// <summary>
    /// How often the gateway asks every node of its ring for its configuration epoch, reloads a newer configuration,
    /// and brings nodes that are behind up to date. Another gateway's committed change is routed by here within this
    /// interval plus <see cref="GatewayOptions.ReplicaTimeout"/> (the deadline of that call). Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a change waits, once the configuration that starts it is committed, before copying data: the time
    /// the other gateways take to reload it (<see cref="PollInterval"/> + <see cref="GatewayOptions.ReplicaTimeout"/>
    /// by default) so they write to the new owners too before the copy starts. Unset = that bound; 0 when only one
    /// gateway runs.
    /// </summary>
    public TimeSpan? SettleDelay { get; set; }

    /// <summary>
    /// How long the gateway driving a membership change holds it without renewing: it renews every third of this
    /// while it copies data. A change whose lease has lapsed for longer than <see cref="GatewayOptions.MaxClockOffset"/>
    /// is taken over by another gateway (<c>Rebalancing.ChangeTakeover</c>), which copies again and commits its end.
    /// So a change whose gateway died, or whose last commit failed, ends within about this plus
    /// <see cref="PollInterval"/>, <see cref="GatewayOptions.MaxClockOffset"/> and the copy. Above
    /// <see cref="PollInterval"/>; keep it well above <see cref="GatewayOptions.ReplicaTimeout"/> (a renewal is a
    /// proposal to the nodes). Default 10 s.
    /// </summary>
    public TimeSpan ChangeLease { get; set; } = TimeSpan.FromSeconds(10);
}
