using System.Globalization;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Replication;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Caching;

/// <summary>
/// The precondition of a conditional write: <c>if_version</c> (the causal context of a Get: the key still holds
/// what that read saw) or <c>if_absent</c> (the key holds no live value). The gateway checks it against a read at the
/// write's level (<see cref="Holds"/>), and sends it with the write (<see cref="ToPrecondition"/>) so that each
/// replica checks it again atomically with the write, under the same rule (<c>cache.v1.Precondition</c>).
/// </summary>
public sealed class WriteCondition
{
    private readonly ProtoVersion? _newestSeen;

    private WriteCondition(CausalContext seen, bool ifAbsent)
    {
        Seen = seen;
        IfAbsent = ifAbsent;
        foreach (var (writer, counter) in seen.Entries)
        {
            var candidate = new ProtoVersion { Writer = writer, Timestamp = (long)Math.Min(counter, long.MaxValue) };
            if (_newestSeen is null || Versions.Compare(candidate, _newestSeen) > 0)
            {
                _newestSeen = candidate;
            }
        }
    }

    /// <summary>The context the write names (empty for put-if-absent).</summary>
    public CausalContext Seen { get; }

    /// <summary>True for put-if-absent.</summary>
    public bool IfAbsent { get; }

    /// <summary>The key must still hold what a read with causal context <paramref name="seen"/> saw.</summary>
    public static WriteCondition IfVersion(CausalContext seen) => new(seen, ifAbsent: false);

    /// <summary>The key must hold no live value.</summary>
    public static WriteCondition Absent { get; } = new(CausalContext.Empty, ifAbsent: true);

    /// <summary>
    /// True when <paramref name="stored"/> (the newest entry read; null when the key holds nothing) meets the
    /// condition at <paramref name="nowMs"/>: for put-if-absent, no live value; otherwise a version the context has
    /// seen: covered by it, or older (timestamp, then writer) than the newest write it names, as a version that write
    /// replaced by last-writer-wins. A write made after the context was read is newer than all of it, and fails.
    /// </summary>
    public bool Holds(Entry? stored, long nowMs)
    {
        if (stored is null)
        {
            return true;
        }

        if (IfAbsent)
        {
            return !CacheService.IsLive(stored, nowMs, out _);
        }

        return Seen.Covers(stored.Version) || (_newestSeen is not null && Versions.Compare(_newestSeen, stored.Version) > 0);
    }

    /// <summary>The causal past of the write: the context, joined with the version read (so a write descends the delete it follows).</summary>
    public CausalContext PastOf(Entry? stored) => stored is null ? Seen : Seen.Join(CausalContext.Of(stored.Version));

    /// <summary>
    /// FAILED_PRECONDITION for <paramref name="operation"/>: the message names the <paramref name="current"/> version
    /// ("timestamp@writer") and what became of the write (<paramref name="outcome"/>); the trailers carry it too:
    /// <c>x-current-version</c> (the same text) and <c>x-current-context-bin</c> (its causal context, the bytes a Get
    /// returns as <c>context</c>, to retry with as <c>if_version</c> after reading the key again).
    /// </summary>
    public static RpcException Refused(string operation, ProtoVersion current, string outcome)
    {
        var version = string.Create(CultureInfo.InvariantCulture, $"{current.Timestamp}@{current.Writer}");
        return new RpcException(
            new Status(StatusCode.FailedPrecondition,
                $"{operation} failed: its precondition does not hold: the key holds version {version}; {outcome}"),
            new Metadata
            {
                { CurrentVersionTrailer, version },
                { CurrentContextTrailer, CausalContext.Of(current).Encode().ToByteArray() },
            });
    }

    /// <summary>Trailer of a FAILED_PRECONDITION naming the key's current version, "timestamp@writer".</summary>
    public const string CurrentVersionTrailer = "x-current-version";

    /// <summary>Binary trailer of a FAILED_PRECONDITION holding the causal context of the key's current version.</summary>
    public const string CurrentContextTrailer = "x-current-context-bin";

    /// <summary>The same condition for the replicas to check.</summary>
    public Precondition ToPrecondition()
    {
        var precondition = new Precondition { Absent = IfAbsent };
        precondition.Seen.Add(Seen.ToVector());
        return precondition;
    }
}
