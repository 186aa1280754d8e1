using System.Collections.Concurrent;
using Microservices.Cache.V1;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Writes kept for replicas that missed them (down, or their call failed), replayed when the node is UP again.
/// Bounded by count and bytes (<see cref="GatewayOptions.MaxHints"/>, <see cref="GatewayOptions.MaxHintBytes"/>);
/// beyond that hints are dropped and counted. Kept in memory: a gateway restart loses them, and the replicas then
/// converge through read repair and rebalancing only.
/// </summary>
public sealed class HintStore(IOptions<GatewayOptions> options, GatewayTelemetry telemetry)
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(Entry Entry, int Size)>> _byNode = new(StringComparer.Ordinal);
    private readonly GatewayOptions _options = options.Value;
    private long _count;
    private long _bytes;
    private long _dropped;
    private long _replayed;

    /// <summary>Hints held now.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Hints dropped because the store was full, since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Hints delivered, since start.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Hints held for <paramref name="node"/>.</summary>
    public int CountFor(string node) => _byNode.TryGetValue(node, out var queue) ? queue.Count : 0;

    /// <summary>Keeps <paramref name="entry"/> for <paramref name="node"/>; false (and counted) when full.</summary>
    public bool Add(string node, Entry entry)
    {
        var size = entry.CalculateSize();
        var count = Interlocked.Increment(ref _count);
        var bytes = Interlocked.Add(ref _bytes, size);
        if (count > _options.MaxHints || bytes > _options.MaxHintBytes)
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Add(ref _bytes, -size);
            Interlocked.Increment(ref _dropped);
            telemetry.RecordHints("dropped");
            return false;
        }

        _byNode.GetOrAdd(node, _ => new ConcurrentQueue<(Entry, int)>()).Enqueue((entry, size));
        telemetry.RecordHints("queued");
        return true;
    }

    /// <summary>Takes up to <paramref name="max"/> hints for <paramref name="node"/>, oldest first.</summary>
    public List<Entry> Take(string node, int max)
    {
        var taken = new List<Entry>();
        if (_byNode.TryGetValue(node, out var queue))
        {
            while (taken.Count < max && queue.TryDequeue(out var hint))
            {
                taken.Add(hint.Entry);
                Interlocked.Decrement(ref _count);
                Interlocked.Add(ref _bytes, -hint.Size);
            }
        }

        return taken;
    }

    /// <summary>Drops every hint for a node that left the ring.</summary>
    public void Forget(string node) => Take(node, int.MaxValue);

    /// <summary>Counts hints delivered.</summary>
    public void Delivered(int count)
    {
        Interlocked.Add(ref _replayed, count);
        telemetry.RecordHints("replayed", count);
    }
}
