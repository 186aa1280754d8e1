using System.Collections.Frozen;
using Microservices.Cache.V1;
using Microservices.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Membership;

/// <summary>
/// The gateway's view of the cluster. Readers take <see cref="View"/>, an immutable snapshot, and use it for a
/// whole request; changes are serialised and publish a new snapshot atomically. The view follows the cluster
/// configuration kept in the nodes (<see cref="Config"/>, under an epoch that only grows): this gateway's own
/// changes, and those of other gateways reloaded by <see cref="ClusterConfigWatcher"/> through <see cref="Apply"/>.
/// </summary>
public sealed class ClusterMembership : IDisposable
{
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly NodeChannelFactory _channels;
    private readonly Func<ClusterNode, bool>? _restarted;
    private readonly int _virtualNodes;
    private ClusterView _view;
    private ClusterConfig? _config;

    /// <summary>
    /// Builds the ring from the kept topology of this cluster epoch (at the configuration epoch it was kept at), or
    /// else from the configured nodes (epoch 0).
    /// </summary>
    public ClusterMembership(IOptions<GatewayOptions> options, NodeChannelFactory channels, TopologyStore topology, FailureDetector? detector = null)
    {
        _channels = channels;
        _restarted = detector is null ? null : detector.Restarted;
        _virtualNodes = options.Value.VirtualNodes;
        Topology = topology;
        GatewayId = options.Value.GatewayId;
        ReplicationFactor = options.Value.ReplicationFactor;
        var kept = topology.Load();
        var nodes = (kept?.Nodes ?? options.Value.Nodes)
            .Select(n => new ClusterNode(n.Name, new Uri(n.Address), channels.Create(n.Name, new Uri(n.Address)), n.Weight, _restarted))
            .ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
        _view = new ClusterView(HashRing.Create(nodes.Values.Select(n => (n.Name, n.Weight)), _virtualNodes), nodes, Epoch: kept?.ConfigEpoch ?? 0);
        _config = _view.Epoch == 0 ? null : ClusterConfigs.From(_view, _view.Epoch, GatewayId);
    }

    /// <summary>Where membership changes are kept.</summary>
    public TopologyStore Topology { get; }

    /// <summary>This gateway's id (<see cref="GatewayOptions.GatewayId"/>), named in the configurations it proposes.</summary>
    public string GatewayId { get; }

    /// <summary>Replicas per key (N).</summary>
    public int ReplicationFactor { get; }

    /// <summary>The current snapshot.</summary>
    public ClusterView View => Volatile.Read(ref _view);

    /// <summary>The newest committed configuration this gateway knows; null at epoch 0 (the configured nodes).</summary>
    public ClusterConfig? Config => Volatile.Read(ref _config);

    /// <summary>Creates a node (not yet on the ring) of weight <paramref name="weight"/>, with its channel.</summary>
    public ClusterNode CreateNode(string name, Uri address, int weight) => new(name, address, _channels.Create(name, address), weight, _restarted);

    /// <summary>Runs one membership change at a time; <paramref name="change"/> publishes through <see cref="Commit"/> or <see cref="Apply"/>.</summary>
    public async Task<T> ChangeAsync<T>(Func<ClusterView, Task<T>> change, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await change(View).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="change"/> unless a change is running (then returns false at once): for background work
    /// that a change in progress makes moot.
    /// </summary>
    public async Task<bool> TryChangeAsync(Func<ClusterView, Task> change)
    {
        if (!await _changes.WaitAsync(0).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            await change(View).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Publishes <paramref name="view"/>, built from <paramref name="config"/> which a majority of nodes has
    /// committed, and keeps it (<see cref="TopologyStore"/>) unless a change is halfway. Call only inside
    /// <see cref="ChangeAsync{T}"/>.
    /// </summary>
    public void Commit(ClusterView view, ClusterConfig config)
    {
        Volatile.Write(ref _config, config);
        Volatile.Write(ref _view, view);
        if (view.PendingRing is null)
        {
            Topology.Save(view);
        }
    }

    /// <summary>
    /// Routes by <paramref name="config"/>, a committed configuration newer than <see cref="Config"/> (checked with
    /// <see cref="ClusterConfigs.Check"/>): nodes kept under the same name and address keep their channel and
    /// their health as this gateway found it; joining, leaving and failed members take those states; members gone
    /// are retired. Call only inside <see cref="ChangeAsync{T}"/>. Returns the view published.
    /// </summary>
    public ClusterView Apply(ClusterConfig config)
    {
        var before = View;
        var nodes = new Dictionary<string, ClusterNode>(StringComparer.Ordinal);
        foreach (var member in config.Members)
        {
            var address = new Uri(member.Address);
            var node = before.Nodes.TryGetValue(member.Name, out var known) && known.Address == address
                ? known
                : CreateNode(member.Name, address, (int)Math.Max(member.Weight, member.NextWeight));
            node.Weight = (int)(member.Weight > 0 ? member.Weight : member.NextWeight);
            node.State = member.State switch
            {
                ClusterMemberState.Joining => MemberState.Joining,
                ClusterMemberState.Leaving => MemberState.Leaving,
                ClusterMemberState.Failed => MemberState.Down,
                _ when node.State is MemberState.Joining or MemberState.Leaving => MemberState.Up,
                _ => node.State,
            };
            nodes[member.Name] = node;
        }

        var ring = HashRing.Create(config.Members.Where(m => m.Weight > 0).Select(m => (m.Name, (int)m.Weight)), _virtualNodes);
        var pending = config.Members.Any(m => m.NextWeight != m.Weight)
            ? HashRing.Create(config.Members.Where(m => m.NextWeight > 0).Select(m => (m.Name, (int)m.NextWeight)), _virtualNodes)
            : null;
        var view = new ClusterView(ring, nodes.ToFrozenDictionary(StringComparer.Ordinal), pending, config.Epoch);
        Commit(view, config);
        foreach (var node in before.Nodes.Values)
        {
            if (!nodes.TryGetValue(node.Name, out var kept) || kept != node)
            {
                node.Retire();
            }
        }

        return view;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var node in View.Nodes.Values)
        {
            node.Dispose();
        }

        _changes.Dispose();
    }
}
