using System.Globalization;
using Google.Protobuf;
using Microservices.Cache.V1;
using Microservices.CacheNode.Store;
using Microservices.ServiceDefaults;
using ProtoVersion = Microservices.Cache.V1.Version;
using EntrySibling = Microservices.CacheNode.Store.EntrySibling;
using ProtoVersionCounter = Microservices.Cache.V1.VersionCounter;
using VersionCounter = Microservices.CacheNode.Store.VersionCounter;

namespace Microservices.CacheNode.Grpc;

/// <summary>
/// Validates protobuf entries and maps them to and from the store's types. A version more than
/// <c>maxClockOffset</c> ahead of the node's clock is refused. A value whose <c>expires_at</c> has passed is
/// written as what it has become: the marker of an expired value, a tombstone at its version (so a hint or a copy
/// that arrives late still outranks the older versions it replaced); on the way out, an expired value is shown
/// the same way.
/// </summary>
internal sealed class EntryMapping(int maxValueBytes, TimeSpan maxClockOffset)
{
    /// <summary>Longest writer id accepted.</summary>
    public const int MaxWriterLength = 100;

    /// <summary>Most counters a precondition's context may hold (as a version vector).</summary>
    public const int MaxConditionCounters = 16;

    private const string ClockOffsetSetting = "CacheNode:MaxClockOffset";

    /// <summary>Returns why <paramref name="entry"/> cannot be written, naming the field, or null with <paramref name="write"/> set.</summary>
    public string? TryToWrite(Entry? entry, string field, long nowMs, out EntryWrite? write)
    {
        write = null;
        if (entry is null)
        {
            return $"{field} is required";
        }

        EntryVersion? version = null;
        var error = RequestLimits.CheckKey(entry.Key, $"{field}.key", RequestLimits.MaxStoredKeyBytes)
            ?? CheckValue(entry, field)
            ?? TryToVersion(entry.Version, $"{field}.version", nowMs, out version);
        if (error is not null)
        {
            return error;
        }

        var kind = entry.Kind switch
        {
            ValueKind.Text => EntryKind.Text,
            ValueKind.Binary or ValueKind.Unspecified => EntryKind.Binary,
            _ => (EntryKind?)null,
        };
        if (kind is null)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{field}.kind must be VALUE_KIND_TEXT or VALUE_KIND_BINARY, got {(int)entry.Kind}");
        }

        var expiresAtMs = long.MaxValue;
        if (entry.ExpiresAt is not null
            && ProtoTime.TryToUnixMilliseconds(entry.ExpiresAt, $"{field}.expires_at", out expiresAtMs) is { } invalid)
        {
            return invalid;
        }

        var siblings = Array.Empty<EntrySibling>();
        if (entry.Siblings.Count > 0 && TryToSiblings(entry, field, nowMs, out siblings) is { } badSibling)
        {
            return badSibling;
        }

        WriteCondition? condition = null;
        if (entry.Precondition is not null && TryToCondition(entry.Precondition, $"{field}.precondition", out condition) is { } badCondition)
        {
            return badCondition;
        }

        write = entry.Tombstone || expiresAtMs <= nowMs
            ? EntryWrite.Delete(entry.Key, version!) with { Condition = condition }
            : new EntryWrite(entry.Key, entry.Value.ToByteArray(), kind.Value, version!, expiresAtMs, Tombstone: false, condition)
            {
                KeepSiblings = entry.KeepSiblings || siblings.Length > 0,
                Siblings = siblings,
            };
        return null;
    }

    private string? TryToSiblings(Entry entry, string field, long nowMs, out EntrySibling[] siblings)
    {
        siblings = [];
        if (entry.Tombstone)
        {
            return $"{field}.siblings must be empty for a tombstone";
        }

        if (entry.Siblings.Count >= CacheStore.MaxSiblings)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field}.siblings must hold at most {CacheStore.MaxSiblings - 1} values, got {entry.Siblings.Count}");
        }

        var result = new EntrySibling[entry.Siblings.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var sibling = entry.Siblings[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"{field}.siblings[{i}]");
            if (sibling.Value.Length > maxValueBytes)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"{at}.value must be at most {maxValueBytes} bytes (CacheNode:MaxValueBytes), got {sibling.Value.Length}");
            }

            if (TryToVersion(sibling.Version, $"{at}.version", nowMs, out var version) is { } error)
            {
                return error;
            }

            result[i] = new EntrySibling(sibling.Value.ToByteArray(), sibling.Kind == ValueKind.Text ? EntryKind.Text : EntryKind.Binary, version!);
        }

        siblings = result;
        return null;
    }

    /// <summary>
    /// Returns why <paramref name="precondition"/> is not usable, naming the field and the limit (at most
    /// <see cref="MaxConditionCounters"/> counters, each with a writer of 1 to <see cref="MaxWriterLength"/>
    /// characters), or null with <paramref name="condition"/> set.
    /// </summary>
    public static string? TryToCondition(Precondition precondition, string field, out WriteCondition? condition)
    {
        condition = null;
        if (precondition.Seen.Count > MaxConditionCounters)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field}.seen has {precondition.Seen.Count} counters; at most {MaxConditionCounters} are allowed");
        }

        var seen = new VersionCounter[precondition.Seen.Count];
        for (var i = 0; i < seen.Length; i++)
        {
            var counter = precondition.Seen[i];
            if (counter.Writer.Length is 0 or > MaxWriterLength)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{field}.seen[{i}].writer must be 1 to {MaxWriterLength} characters");
            }

            seen[i] = new VersionCounter(counter.Writer, counter.Counter);
        }

        condition = new WriteCondition(seen, precondition.Absent);
        return null;
    }

    /// <summary>Returns why <paramref name="version"/> is not a usable version, naming the field, or null.</summary>
    public string? TryToVersion(ProtoVersion? version, string field, long nowMs, out EntryVersion? result)
    {
        result = null;
        if (version is null)
        {
            return $"{field} is required";
        }

        if (version.Timestamp <= 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{field}.timestamp must be positive, got {version.Timestamp}");
        }

        if (HybridTime.CheckOffset(version.Timestamp, nowMs, maxClockOffset, $"{field}.timestamp", ClockOffsetSetting) is { } ahead)
        {
            return ahead;
        }

        if (version.Writer.Length is 0 or > MaxWriterLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{field}.writer must be 1 to {MaxWriterLength} characters, got {version.Writer.Length}");
        }

        // No array for an empty vector (the common case): 24 bytes less held per stored entry.
        var vector = version.Vector.Count == 0 ? [] : new VersionCounter[version.Vector.Count];
        for (var i = 0; i < vector.Length; i++)
        {
            var counter = version.Vector[i];
            if (counter.Writer.Length is 0 or > MaxWriterLength)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{field}.vector[{i}].writer must be 1 to {MaxWriterLength} characters");
            }

            vector[i] = new VersionCounter(counter.Writer, counter.Counter);
        }

        result = new EntryVersion(version.Timestamp, version.Writer, vector);
        return null;
    }

    /// <summary>
    /// The entry as of <paramref name="nowMs"/>: a live value as stored, a tombstone as one, and an expired value
    /// as the tombstone it stands for (its version, no value), so a coordinator comparing versions sees that the
    /// key's newest write has no value any more.
    /// </summary>
    public static Entry ToProto(CacheEntry entry, long nowMs)
    {
        var live = entry.IsLive(nowMs);
        var proto = new Entry
        {
            Key = entry.Key,
            Kind = entry.Kind == EntryKind.Text ? ValueKind.Text : ValueKind.Binary,
            Version = ToProto(entry.Version),
            Tombstone = !live,
            KeyHash = entry.KeyHash,
        };
        if (live)
        {
            // Stored values are never mutated, so the reply can share the array instead of copying it.
            proto.Value = UnsafeByteOperations.UnsafeWrap(entry.Value);
            if (entry.ExpiresAtMs != long.MaxValue)
            {
                proto.ExpiresAt = ProtoTime.FromUnixMilliseconds(entry.ExpiresAtMs);
            }

            proto.KeepSiblings = entry.KeepSiblings;
            foreach (var sibling in entry.Siblings)
            {
                proto.Siblings.Add(new Cache.V1.EntrySibling
                {
                    Value = UnsafeByteOperations.UnsafeWrap(sibling.Value),
                    Kind = sibling.Kind == EntryKind.Text ? ValueKind.Text : ValueKind.Binary,
                    Version = ToProto(sibling.Version),
                });
            }
        }

        return proto;
    }

    public static ProtoVersion? ToProto(EntryVersion? version)
    {
        if (version is null)
        {
            return null;
        }

        var proto = new ProtoVersion { Timestamp = version.Timestamp, Writer = version.Writer };
        foreach (var counter in version.Vector)
        {
            proto.Vector.Add(new ProtoVersionCounter { Writer = counter.Writer, Counter = counter.Counter });
        }

        return proto;
    }

    private string? CheckValue(Entry entry, string field)
    {
        if (entry.Tombstone && !entry.Value.IsEmpty)
        {
            return $"{field}.value must be empty for a tombstone";
        }

        return entry.Value.Length > maxValueBytes
            ? string.Create(CultureInfo.InvariantCulture,
                $"{field}.value must be at most {maxValueBytes} bytes (CacheNode:MaxValueBytes), got {entry.Value.Length}")
            : null;
    }
}
