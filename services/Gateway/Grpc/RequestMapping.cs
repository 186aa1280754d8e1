using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Caching;
using Microservices.Gateway.Replication;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>Validates public requests and maps them to cache entries, and entries back to replies.</summary>
internal sealed partial class RequestMapping(GatewayOptions options, TimeProvider time)
{
    private static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxTtl = TimeSpan.FromDays(30);

    public static ConsistencyLevel Level(V1.Consistency consistency, string field = "consistency") => consistency switch
    {
        V1.Consistency.Unspecified or V1.Consistency.Quorum => ConsistencyLevel.Quorum,
        V1.Consistency.One => ConsistencyLevel.One,
        V1.Consistency.All => ConsistencyLevel.All,
        _ => throw Invalid($"{field} must be CONSISTENCY_ONE, CONSISTENCY_QUORUM or CONSISTENCY_ALL, got {(int)consistency}"),
    };

    /// <summary>
    /// The conflict policy a Put asks for: <paramref name="requested"/>, or the tenant's when unspecified.
    /// INVALID_ARGUMENT naming the field for a value outside the enum.
    /// </summary>
    public static Caching.ConflictPolicy Policy(V1.ConflictPolicy requested, Caching.ConflictPolicy tenant) => requested switch
    {
        V1.ConflictPolicy.Unspecified => tenant,
        V1.ConflictPolicy.LastWriterWins => Caching.ConflictPolicy.LastWriterWins,
        V1.ConflictPolicy.Siblings => Caching.ConflictPolicy.Siblings,
        _ => throw Invalid($"conflict_policy must be CONFLICT_POLICY_LAST_WRITER_WINS or CONFLICT_POLICY_SIBLINGS, got {(int)requested}"),
    };

    /// <summary>Returns why a Put is invalid, naming the field, or null with the entry to write (key and version unset).</summary>
    public string? TryToEntry(V1.PutRequest request, string field, out Entry? entry)
    {
        entry = null;
        var error = RequestLimits.CheckKey(request.Key, field.Length == 0 ? "key" : $"{field}key");
        if (error is not null)
        {
            return error;
        }

        var (value, kind) = request.ValueCase switch
        {
            V1.PutRequest.ValueOneofCase.Text => (ByteString.CopyFromUtf8(request.Text), ValueKind.Text),
            V1.PutRequest.ValueOneofCase.Data => (request.Data, ValueKind.Binary),
            _ => (null, ValueKind.Unspecified),
        };
        if (value is null)
        {
            return $"{field}value: set text or data";
        }

        if (value.Length > options.MaxValueBytes)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field}{(kind == ValueKind.Text ? "text" : "data")} must be at most {options.MaxValueBytes} bytes, got {value.Length}");
        }

        var ttl = options.DefaultTtl;
        if (request.Ttl is not null)
        {
            error = ProtoTime.TryToTimeSpan(request.Ttl, $"{field}ttl", out ttl);
            if (error is not null)
            {
                return error;
            }

            if (ttl < MinTtl || ttl > MaxTtl)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{field}ttl must be between 1 s and 30 days, got {ttl.TotalSeconds} s");
            }
        }

        entry = new Entry
        {
            Value = value,
            Kind = kind,
            ExpiresAt = Timestamp.FromDateTimeOffset(time.GetUtcNow() + ttl),
        };
        return null;
    }

    /// <summary>
    /// A Get reply for the newest entry of a read: a miss unless it is live (<see cref="CacheService.IsLive"/>).
    /// </summary>
    public V1.GetResponse ToReply(Entry? newest, ValueSource source = ValueSource.Cache)
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!CacheService.IsLive(newest, nowMs, out var expiresAtMs))
        {
            // A delete or an expired value still has a version, which a later write of the key descends.
            return newest is null ? new V1.GetResponse { Found = false } : new V1.GetResponse { Found = false, Context = CausalContext.EncodeOf(newest.Version) };
        }

        var reply = new V1.GetResponse { Found = true, Source = source, Version = newest.Version, Context = newest.Siblings.Count == 0 ? CausalContext.EncodeOf(newest.Version) : SiblingMerge.ContextOf(newest).Encode() };
        if (newest.Siblings.Count > 0)
        {
            reply.Siblings.Add(ToSibling(newest.Value, newest.Kind, newest.Version));
            foreach (var sibling in newest.Siblings)
            {
                reply.Siblings.Add(ToSibling(sibling.Value, sibling.Kind, sibling.Version));
            }
        }

        if (newest.Kind == ValueKind.Text)
        {
            reply.Text = newest.Value.ToStringUtf8();
        }
        else
        {
            reply.Data = newest.Value;
        }

        if (newest.ExpiresAt is not null)
        {
            reply.TtlRemaining = ProtoTime.ToDuration(TimeSpan.FromMilliseconds(expiresAtMs - nowMs));
        }

        return reply;
    }

    private static V1.Sibling ToSibling(ByteString value, ValueKind kind, Cache.V1.Version version) => kind == ValueKind.Text
        ? new V1.Sibling { Text = value.ToStringUtf8(), Version = version }
        : new V1.Sibling { Data = value, Version = version };

    /// <summary>The time from now to <paramref name="expiresAtMs"/> (Unix ms), zero when it has passed.</summary>
    public Duration Remaining(long expiresAtMs) =>
        ProtoTime.ToDuration(TimeSpan.FromMilliseconds(Math.Max(0, expiresAtMs - time.GetUtcNow().ToUnixTimeMilliseconds())));

    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
