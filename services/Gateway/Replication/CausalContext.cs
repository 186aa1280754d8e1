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
        var entries = new List<(string, ulong)>(version.Vector.Count + 1);
        foreach (var counter in version.Vector)
        {
            entries.Add((counter.Writer, counter.Counter));
        }

        entries.Add((version.Writer, (ulong)version.Timestamp));
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
    public IEnumerable<VersionCounter> ToVector() => _entries.Select(e => new VersionCounter { Writer = e.Writer, Counter = e.Counter });

    /// <summary>The opaque bytes given to clients.</summary>
    public ByteString Encode()
    {
        var message = new ContextVector();
        message.Vector.Add(ToVector());
        return message.ToByteString();
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

        context = FromUnsorted([.. message.Vector.Select(c => (c.Writer, c.Counter))]);
        return null;
    }

    private static CausalContext FromUnsorted(IEnumerable<(string Writer, ulong Counter)> entries) =>
        new([.. entries.GroupBy(e => e.Writer, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Max(e => e.Counter)))
            .OrderBy(e => e.Key, StringComparer.Ordinal)]);
}
