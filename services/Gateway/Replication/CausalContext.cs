using Google.Protobuf;
using Microservices.Cache.V1;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Replication;

/// <summary>
/// A causal context: a version vector mapping each writer (gateway id) to the newest of its writes that the holder
/// has seen. A write's dot is (<see cref="ProtoVersion.Writer"/>, <see cref="ProtoVersion.Timestamp"/>): each
/// gateway's hybrid-logical-clock timestamps only grow, so they serve as the per-writer counters of a dotted version
/// vector (Preguiça et al., "Dotted Version Vectors", 2010; Riak 2.0). A version's <see cref="ProtoVersion.Vector"/>
/// is its causal past including its own dot, so version <c>a</c> descends <c>b</c> when
/// <c>a.vector[b.writer] &gt;= b.timestamp</c>.
/// Clients get a context from Get as opaque bytes (<see cref="Encode"/>) and send it back on a write.
/// Entries are kept sorted by writer (ordinal); instances are immutable.
/// </summary>
public sealed class CausalContext
{
    /// <summary>Most entries a context (and a version vector) holds; beyond it the oldest are pruned.</summary>
    public const int MaxEntries = 16;

    /// <summary>Most bytes an encoded context may have on a request.</summary>
    public const int MaxEncodedBytes = 4096;

    private readonly (string Writer, ulong Counter)[] _entries;

    private CausalContext((string Writer, ulong Counter)[] entries) => _entries = entries;

    /// <summary>The context that has seen nothing.</summary>
    public static CausalContext Empty { get; } = new([]);

    /// <summary>The entries, sorted by writer (ordinal).</summary>
    public IReadOnlyList<(string Writer, ulong Counter)> Entries => _entries;

    /// <summary>The causal past of <paramref name="version"/>: its vector joined with its own dot.</summary>
    public static CausalContext Of(ProtoVersion version)
    {
        var entries = new (string Writer, ulong Counter)[version.Vector.Count + 1];
        for (var i = 0; i < version.Vector.Count; i++)
        {
            entries[i] = (version.Vector[i].Writer, version.Vector[i].Counter);
        }

        entries[^1] = (version.Writer, (ulong)version.Timestamp);
        return FromUnsorted(entries);
    }

    /// <summary>The counter of <paramref name="writer"/>, 0 when it has none.</summary>
    public ulong this[string writer]
    {
        get
        {
            foreach (var (w, c) in _entries)
            {
                if (string.Equals(w, writer, StringComparison.Ordinal))
                {
                    return c;
                }
            }

            return 0;
        }
    }

    /// <summary>True when this context has seen the write whose dot is in <paramref name="version"/>.</summary>
    public bool Covers(ProtoVersion version) => this[version.Writer] >= (ulong)version.Timestamp;

    /// <summary>True when this context has seen everything <paramref name="other"/> has (equal counts as descending).</summary>
    public bool Descends(CausalContext other)
    {
        foreach (var (writer, counter) in other._entries)
        {
            if (this[writer] < counter)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The pointwise maximum of both contexts.</summary>
    public CausalContext Join(CausalContext other) =>
        other._entries.Length == 0 ? this : _entries.Length == 0 ? other : FromUnsorted([.. _entries, .. other._entries]);

    /// <summary>
    /// At most <see cref="MaxEntries"/> entries: the writers with the oldest counters (timestamps) are dropped first,
    /// as Dynamo truncates its clocks by age. A pruned context may take a write it descends for a concurrent one
    /// (never the other way round).
    /// </summary>
    public CausalContext Pruned() => _entries.Length <= MaxEntries
        ? this
        : new([.. _entries.OrderByDescending(e => e.Counter).Take(MaxEntries).OrderBy(e => e.Writer, StringComparer.Ordinal)]);

    /// <summary>The context as a version vector, for a <see cref="ProtoVersion.Vector"/>.</summary>
    public VersionCounter[] ToVector()
    {
        var vector = new VersionCounter[_entries.Length];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = new VersionCounter { Writer = _entries[i].Writer, Counter = _entries[i].Counter };
        }

        return vector;
    }

    /// <summary>The opaque bytes given to clients.</summary>
    public ByteString Encode()
    {
        var message = new ContextVector();
        message.Vector.Add(ToVector());
        return message.ToByteString();
    }

    /// <summary>
    /// <c>Of(version).Encode()</c>, without building the context when <paramref name="version"/>'s vector already is it
    /// (sorted by writer, one entry per writer, its own dot included), as in every version a gateway stamps.
    /// </summary>
    public static ByteString EncodeOf(ProtoVersion version)
    {
        var vector = version.Vector;
        var coversOwnDot = false;
        for (var i = 0; i < vector.Count; i++)
        {
            if (i > 0 && string.CompareOrdinal(vector[i - 1].Writer, vector[i].Writer) >= 0)
            {
                return Of(version).Encode();
            }

            coversOwnDot |= vector[i].Counter >= (ulong)version.Timestamp && string.Equals(vector[i].Writer, version.Writer, StringComparison.Ordinal);
        }

        return coversOwnDot ? new ContextVector { Vector = { vector } }.ToByteString() : Of(version).Encode();
    }

    /// <summary>
    /// Reads a context a client sent in <paramref name="field"/>. Empty bytes are <see cref="Empty"/>. Returns an
    /// error (naming the field and the limit) for more than <see cref="MaxEncodedBytes"/> bytes, bytes that do not
    /// parse, more than <see cref="MaxEntries"/> entries, or an entry with an empty writer or a zero counter.
    /// </summary>
    public static string? TryDecode(ByteString bytes, string field, out CausalContext context)
    {
        context = Empty;
        if (bytes.IsEmpty)
        {
            return null;
        }

        if (bytes.Length > MaxEncodedBytes)
        {
            return $"{field} is {bytes.Length} bytes; at most {MaxEncodedBytes} are allowed";
        }

        ContextVector message;
        try
        {
            message = ContextVector.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return $"{field} is not a context returned by this cache";
        }

        if (message.Vector.Count > MaxEntries)
        {
            return $"{field} has {message.Vector.Count} entries; at most {MaxEntries} are allowed";
        }

        foreach (var counter in message.Vector)
        {
            if (counter.Writer.Length == 0 || counter.Counter == 0)
            {
                return $"{field} is not a context returned by this cache";
            }
        }

        var entries = new (string Writer, ulong Counter)[message.Vector.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = (message.Vector[i].Writer, message.Vector[i].Counter);
        }

        context = FromUnsorted(entries);
        return null;
    }

    // Sorts a fresh array in place by writer and keeps the largest counter of each writer (no LINQ: this runs for every
    // Get reply and every Put).
    private static CausalContext FromUnsorted((string Writer, ulong Counter)[] entries)
    {
        if (entries.Length > 1)
        {
            Array.Sort(entries, static (x, y) => string.CompareOrdinal(x.Writer, y.Writer));
        }

        var count = 0;
        foreach (var entry in entries)
        {
            if (count > 0 && string.Equals(entries[count - 1].Writer, entry.Writer, StringComparison.Ordinal))
            {
                entries[count - 1].Counter = Math.Max(entries[count - 1].Counter, entry.Counter);
            }
            else
            {
                entries[count++] = entry;
            }
        }

        return new(count == entries.Length ? entries : entries[..count]);
    }
}
