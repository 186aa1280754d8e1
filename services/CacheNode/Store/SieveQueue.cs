namespace Microservices.CacheNode.Store;

/// <summary>
/// SIEVE eviction (Zhang et al., NSDI '24): a FIFO queue of keys, newest at the head, and a hand that walks from
/// the tail towards the head. A visited node loses its mark and stays; the first unvisited one is evicted. Hits
/// only set a flag, so reads never reorder the queue. Not thread-safe: its shard's lock guards it.
/// </summary>
internal sealed class SieveQueue
{
    private SieveNode? _head;
    private SieveNode? _tail;
    private SieveNode? _hand;

    public int Count { get; private set; }

    /// <summary>The oldest node, where walks start.</summary>
    public SieveNode? Tail => _tail;

    public SieveNode Add(string key)
    {
        var node = new SieveNode(key);
        Restore(node);
        return node;
    }

    /// <summary>Puts a node that is in no queue back at the head.</summary>
    public void Restore(SieveNode node)
    {
        node.Older = _head;
        node.Newer = null;
        if (_head is not null)
        {
            _head.Newer = node;
        }

        _head = node;
        _tail ??= node;
        Count++;
    }

    public void Remove(SieveNode node)
    {
        if (ReferenceEquals(_hand, node))
        {
            _hand = node.Newer;
        }

        if (node.Newer is not null)
        {
            node.Newer.Older = node.Older;
        }
        else
        {
            _head = node.Older;
        }

        if (node.Older is not null)
        {
            node.Older.Newer = node.Newer;
        }
        else
        {
            _tail = node.Newer;
        }

        node.Newer = null;
        node.Older = null;
        Count--;
    }

    /// <summary>
    /// Moves the hand to the next victim and returns it (not removed), or null when empty.
    /// <paramref name="evictNow"/> marks nodes to take whatever their mark (expired entries).
    /// </summary>
    public SieveNode? NextVictim(Func<SieveNode, bool> evictNow)
    {
        // Each node is passed at most twice: once to clear its mark, once to take it.
        for (var steps = 0; steps <= 2 * Count; steps++)
        {
            var node = _hand ?? _tail;
            if (node is null)
            {
                return null;
            }

            if (!node.Visited || evictNow(node))
            {
                _hand = node.Newer;
                return node;
            }

            node.Visited = false;
            _hand = node.Newer;
        }

        return null;
    }
}
