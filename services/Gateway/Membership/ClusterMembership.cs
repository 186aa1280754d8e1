using System.Collections.Frozen;
using Microservices.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Membership;

/// <summary>
/// The gateway's view of the cluster. Readers take <see cref="View"/>, an immutable snapshot, and use it for a
/// whole request; changes are serialised and publish a new snapshot atomically.
/// </summary>
public sealed class ClusterMembership : IDisposable
{
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly NodeChannelFactory _channels;
    private ClusterView _view;

    /// <summary>Builds the ring from the kept topology of this cluster epoch, or else from the configured nodes.</summary>
    public ClusterMembership(IOptions<GatewayOptions> options, NodeChannelFactory channels, TopologyStore topology)
    {
        _channels = channels;
        Topology = topology;
        ReplicationFactor = options.Value.ReplicationFactor;
        var nodes = (topology.Load() ?? options.Value.Nodes)
            .Select(n => new ClusterNode(n.Name, new Uri(n.Address), channels.Create(n.Name, new Uri(n.Address)), n.Weight))
            .ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
        _view = new ClusterView(HashRing.Create(nodes.Values.Select(n => (n.Name, n.Weight)), options.Value.VirtualNodes), nodes);
    }

    /// <summary>Where membership changes are kept.</summary>
    public TopologyStore Topology { get; }

    /// <summary>Replicas per key (N).</summary>
    public int ReplicationFactor { get; }

    /// <summary>The current snapshot.</summary>
    public ClusterView View => Volatile.Read(ref _view);

    /// <summary>Creates a node (not yet on the ring) of weight <paramref name="weight"/>, with its channel.</summary>
    public ClusterNode CreateNode(string name, Uri address, int weight) => new(name, address, _channels.Create(name, address), weight);

    /// <summary>Runs one membership change at a time; <paramref name="change"/> publishes through <see cref="Publish"/>.</summary>
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

    /// <summary>Makes <paramref name="view"/> the current snapshot. Call only inside <see cref="ChangeAsync{T}"/>.</summary>
    public void Publish(ClusterView view) => Volatile.Write(ref _view, view);

    /// <summary>Publishes the outcome of a change and keeps it (<see cref="TopologyStore"/>).</summary>
    public void Commit(ClusterView view)
    {
        Publish(view);
        Topology.Save(view);
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
