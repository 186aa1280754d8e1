using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Microservices.Gateway.Routing;

/// <summary>
/// An immutable consistent-hash ring over node names, with virtual nodes. Each node has <c>vnodes * weight</c>
/// positions, the XxHash3-64 of its UTF-8 name, '#' and <c>i</c> as four little-endian bytes, so its share of the ring
/// is proportional to its weight (1 unless given), and a node whose weight grows keeps its positions and gains new
/// ones (only the arcs it gains change owner; as it shrinks, only the arcs it gives up). A key belongs to the first
/// position clockwise from its hash (at or after it): that position's node is the key's owner, and the next distinct
/// nodes clockwise complete its preference list. Lookups are an allocation-free binary search. Changes build a new ring.
/// </summary>
public sealed class HashRing
{
    private readonly ulong[] _positions;   // sorted
    private readonly int[] _owners;        // _owners[i] = index into _nodes of the node at _positions[i]
    private readonly string[] _nodes;      // sorted by name
    private readonly int[] _weights;       // _weights[n] = weight of _nodes[n]

    private HashRing(string[] nodes, int[] weights, int virtualNodes)
    {
        _nodes = nodes;
        _weights = weights;
        VirtualNodes = virtualNodes;
        var points = new (ulong Position, int Owner)[weights.Sum() * virtualNodes];
        var point = 0;
        for (var n = 0; n < nodes.Length; n++)
        {
            for (var v = 0; v < virtualNodes * weights[n]; v++)
            {
                points[point++] = (PositionOf(nodes[n], v), n);
            }
        }

        // Ties (vanishingly rare in 64 bits) are broken by node order so every gateway builds the same ring.
        Array.Sort(points, static (a, b) => a.Position != b.Position ? a.Position.CompareTo(b.Position) : a.Owner.CompareTo(b.Owner));
        _positions = points.Select(p => p.Position).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    /// <summary>Virtual nodes per node of weight 1.</summary>
    public int VirtualNodes { get; }

    /// <summary>Node names, in ordinal order.</summary>
    public IReadOnlyList<string> Nodes => _nodes;

    /// <summary>Positions on the ring, ascending.</summary>
    public ReadOnlySpan<ulong> Positions => _positions;

    /// <summary>A ring of <paramref name="nodes"/> of weight 1, with <paramref name="virtualNodes"/> positions each.</summary>
    public static HashRing Create(IEnumerable<string> nodes, int virtualNodes) => Create(nodes.Select(n => (n, 1)), virtualNodes);

    /// <summary>
    /// A ring of <paramref name="nodes"/>, each with <paramref name="virtualNodes"/> times its weight positions (the
    /// first weight given for a name counts). Weights are checked by the caller (<c>NodeRules.CheckWeight</c>).
    /// </summary>
    public static HashRing Create(IEnumerable<(string Name, int Weight)> nodes, int virtualNodes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1);
        var sorted = nodes.DistinctBy(n => n.Name, StringComparer.Ordinal).OrderBy(n => n.Name, StringComparer.Ordinal).ToArray();
        foreach (var (_, weight) in sorted)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        }

        return new HashRing([.. sorted.Select(n => n.Name)], [.. sorted.Select(n => n.Weight)], virtualNodes);
    }

    /// <summary>This ring with <paramref name="node"/> added, of weight <paramref name="weight"/>.</summary>
    public HashRing Add(string node, int weight = 1) => Create(Weighted().Append((node, weight)), VirtualNodes);

    /// <summary>This ring without <paramref name="node"/>.</summary>
    public HashRing Remove(string node) => Create(Weighted().Where(n => n.Name != node), VirtualNodes);

    /// <summary>This ring with <paramref name="node"/>'s weight set to <paramref name="weight"/>.</summary>
    public HashRing WithWeight(string node, int weight) =>
        Create(Weighted().Select(n => n.Name == node ? (n.Name, weight) : n), VirtualNodes);

    /// <summary>The weight of <paramref name="node"/>; 0 when it is not on the ring.</summary>
    public int WeightOf(string node) => Array.BinarySearch(_nodes, node, StringComparer.Ordinal) is var n and >= 0 ? _weights[n] : 0;

    /// <summary>True when <paramref name="node"/> is on the ring.</summary>
    public bool Contains(string node) => Array.BinarySearch(_nodes, node, StringComparer.Ordinal) >= 0;

    /// <summary>The owner of <paramref name="hash"/> (the seed's get_node).</summary>
    public string Owner(ulong hash) => _nodes.Length == 0
        ? throw new InvalidOperationException("The ring has no nodes")
        : _nodes[_owners[IndexOf(hash)]];

    /// <summary>
    /// Writes the indexes (into <see cref="Nodes"/>) of the first <c>destination.Length</c> distinct nodes clockwise
    /// from <paramref name="hash"/>, owner first. Returns how many were written (fewer when fewer nodes exist).
    /// </summary>
    public int PreferenceList(ulong hash, Span<int> destination)
    {
        var wanted = Math.Min(destination.Length, _nodes.Length);
        var count = 0;
        var index = IndexOf(hash);
        for (var step = 0; step < _positions.Length && count < wanted; step++)
        {
            var owner = _owners[(index + step) % _positions.Length];
            if (!destination[..count].Contains(owner))
            {
                destination[count++] = owner;
            }
        }

        return count;
    }

    /// <summary>The preference list of <paramref name="hash"/> as node names, owner first.</summary>
    public string[] PreferenceNames(ulong hash, int replicas)
    {
        Span<int> indexes = stackalloc int[Math.Min(replicas, _nodes.Length)];
        var count = PreferenceList(hash, indexes);
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = _nodes[indexes[i]];
        }

        return names;
    }

    /// <summary>Fraction of the ring (0..1) for which each node is the owner, by node name.</summary>
    public Dictionary<string, double> Ownership()
    {
        var shares = new double[_nodes.Length];
        for (var i = 0; i < _positions.Length; i++)
        {
            // Position i owns the arc (previous position, position i]; the first one's arc wraps past zero.
            var arc = i == 0 ? _positions[0] + (ulong.MaxValue - _positions[^1]) + 1 : _positions[i] - _positions[i - 1];
            shares[_owners[i]] += arc / 18446744073709551616.0;
        }

        return _nodes.Select((name, n) => (name, shares[n])).ToDictionary(x => x.name, x => x.Item2, StringComparer.Ordinal);
    }

    private IEnumerable<(string Name, int Weight)> Weighted() => _nodes.Select((name, n) => (name, _weights[n]));

    private int IndexOf(ulong hash)
    {
        var positions = _positions;
        int low = 0, high = positions.Length;
        while (low < high)
        {
            var mid = (int)((uint)(low + high) >> 1);
            if (positions[mid] < hash)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low == positions.Length ? 0 : low;
    }

    private static ulong PositionOf(string node, int vnode)
    {
        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(node.Length) + 12];
        var length = Encoding.UTF8.GetBytes(node, buffer);
        buffer[length++] = (byte)'#';
        BinaryPrimitives.WriteInt32LittleEndian(buffer[length..], vnode);
        return XxHash3.HashToUInt64(buffer[..(length + 4)]);
    }
}
