using System.Collections.Concurrent;
using Microservices.Cache.V1;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Writes kept for replicas that missed them (down, or their call failed), replayed when the node is back.
/// Bounded by count and bytes (<see cref="GatewayOptions.MaxHints"/>, <see cref="GatewayOptions.MaxHintBytes"/>);
/// beyond that hints are dropped and counted. Held in memory, and with a <see cref="HintLog"/> also on disk, so a
/// restarted gateway loads them again.
/// </summary>
public sealed class HintStore
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(Entry Entry, int Size)>> _byNode = new(StringComparer.Ordinal);
    private readonly GatewayOptions _options;
    private readonly GatewayTelemetry _telemetry;
    private readonly HintLog? _log;
    private readonly Lock _logGate = new();
    private long _count;
    private long _bytes;
    private long _dropped;
    private long _replayed;
    private long _discarded;

    /// <param name="options">The caps (<see cref="GatewayOptions.MaxHints"/>, <see cref="GatewayOptions.MaxHintBytes"/>).</param>
    /// <param name="telemetry">Counts hints queued, dropped and replayed.</param>
    /// <param name="log">Where hints are kept on disk; null = memory only. Its hints are loaded now.</param>
    public HintStore(IOptions<GatewayOptions> options, GatewayTelemetry telemetry, HintLog? log = null)
    {
        _options = options.Value;
        _telemetry = telemetry;
        foreach (var (node, entries) in log?.Load() ?? [])
        {
            var allKept = true;
            foreach (var entry in entries)
            {
                allKept &= Add(node, entry);
            }

            // What did not fit is dropped from the file too.
            if (!allKept)
            {
                log!.Rewrite(node, Snapshot(node));
            }
        }

        _log = log;
    }

    /// <summary>Hints held now.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Hints dropped because the store was full, since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Hints delivered, since start.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Hints given up at replay, since start: expired, or refused by their node for good.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

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
            _telemetry.RecordHints("dropped");
            return false;
        }

        var queue = _byNode.GetOrAdd(node, _ => new ConcurrentQueue<(Entry, int)>());
        if (_log is null)
        {
            queue.Enqueue((entry, size));
        }
        else
        {
            // Queue and file change together, so a rewrite never misses a hint that is only in the queue.
            lock (_logGate)
            {
                queue.Enqueue((entry, size));
                _log.Append(node, entry);
            }
        }

        _telemetry.RecordHints("queued");
        return true;
    }

    /// <summary>
    /// Brings <paramref name="node"/>'s file in line with its queue after a replay: the hints still held, or no
    /// file. Hints taken and not yet delivered stay in the file until then.
    /// </summary>
    public void Persist(string node)
    {
        if (_log is not null)
        {
            lock (_logGate)
            {
                _log.Rewrite(node, Snapshot(node));
            }
        }
    }

    /// <summary>Nodes that have hints held.</summary>
    public IEnumerable<string> Nodes => _byNode.Where(pair => !pair.Value.IsEmpty).Select(pair => pair.Key);

    /// <summary>
    /// Takes up to <paramref name="maxItems"/> hints for <paramref name="node"/>, oldest first, and no more than
    /// <paramref name="maxBytes"/> of encoded entries unless the first alone is larger. The byte bound is exact while one
    /// caller at a time takes a node's hints, as the replayer does; with two at once a page may hold one hint more.
    /// </summary>
    public List<Entry> Take(string node, int maxItems, long maxBytes = long.MaxValue)
    {
        var taken = new List<Entry>();
        if (_byNode.TryGetValue(node, out var queue))
        {
            long bytes = 0;
            while (taken.Count < maxItems && queue.TryPeek(out var next)
                && (taken.Count == 0 || bytes + next.Size <= maxBytes) && queue.TryDequeue(out var hint))
            {
                taken.Add(hint.Entry);
                bytes += hint.Size;
                Interlocked.Decrement(ref _count);
                Interlocked.Add(ref _bytes, -hint.Size);
            }
        }

        return taken;
    }

    /// <summary>Drops every hint for a node that left the ring.</summary>
    public void Forget(string node)
    {
        Take(node, int.MaxValue);
        Persist(node);
    }

    /// <summary>Counts <paramref name="count"/> hints given up at replay, by <paramref name="reason"/> (refused).</summary>
    public void Discard(int count, string reason)
    {
        Interlocked.Add(ref _discarded, count);
        _telemetry.RecordHints(reason, count);
    }

    /// <summary>Counts hints delivered.</summary>
    public void Delivered(int count)
    {
        Interlocked.Add(ref _replayed, count);
        _telemetry.RecordHints("replayed", count);
    }

    private List<Entry> Snapshot(string node) =>
        _byNode.TryGetValue(node, out var queue) ? [.. queue.Select(hint => hint.Entry)] : [];
}
