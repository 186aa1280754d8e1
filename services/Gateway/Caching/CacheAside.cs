using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microservices.Cache.V1;
using Microservices.Gateway.Origin;
using Microservices.Gateway.Replication;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Caching;

/// <summary>
/// Loads cache misses from the origin and populates the replicas, one origin query per key at a time in this
/// gateway (single-flight): concurrent misses of one key await the load already in flight. The load runs to its
/// end even when the caller that started it goes away, so the others still get it. A load that a write of its key
/// overlapped is answered but not cached (<see cref="WriteFence"/>): writes call <see cref="BeginWrite"/>, Gets
/// <see cref="Observe"/>. Under write-back a write still in the log is loaded instead of the origin's row, which
/// is older (a logged delete loads as absent).
/// </summary>
public sealed partial class CacheAside(
    IOriginStore origin, ReplicaCoordinator coordinator, GatewayOptions options, TimeProvider time, OriginTelemetry telemetry,
    ILogger<CacheAside> logger, WriteBack.WriteBackLog? writeBack = null)
{
    private readonly ConcurrentDictionary<string, Task<Entry?>> _flights = new(StringComparer.Ordinal);
    private readonly WriteFence _fence = new();
    private long _loads;
    private long _sharedLoads;

    /// <summary>Origin queries made for misses, since start.</summary>
    public long Loads => Interlocked.Read(ref _loads);

    /// <summary>Misses that joined a query in flight, since start.</summary>
    public long SharedLoads => Interlocked.Read(ref _sharedLoads);

    /// <summary>Marks a Put, MultiPut or Delete of <paramref name="storedKeys"/> under way, from before its stamp until disposed.</summary>
    public WriteFence.Writing BeginWrite(IEnumerable<string> storedKeys) => _fence.Begin(storedKeys);

    /// <summary>Taken when a Get of <paramref name="storedKey"/> begins, before it reads the replicas; given to <see cref="LoadAsync"/>.</summary>
    public WriteFence.Observation Observe(string storedKey) => _fence.Observe(storedKey);

    /// <summary>
    /// Loads <paramref name="key"/> of <paramref name="tenant"/> (stored as <paramref name="storedKey"/>, whose
    /// <see cref="KeyHash.Of"/> is <paramref name="keyHash"/>); null when the origin has no row.
    /// </summary>
    public Task<Entry?> LoadAsync(
        string tenant, string key, string storedKey, ulong keyHash, ConsistencyLevel level, WriteFence.Observation observation,
        CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource<Entry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = _flights.GetOrAdd(storedKey, mine.Task);
        if (ReferenceEquals(flight, mine.Task))
        {
            Interlocked.Increment(ref _loads);
            _ = RunFlightAsync(mine, tenant, key, storedKey, keyHash, level, observation);
        }
        else
        {
            Interlocked.Increment(ref _sharedLoads);
            telemetry.RecordShared();
        }

        return flight.WaitAsync(cancellationToken);
    }

    private async Task RunFlightAsync(
        TaskCompletionSource<Entry?> flight, string tenant, string key, string storedKey, ulong keyHash, ConsistencyLevel level,
        WriteFence.Observation observation)
    {
        try
        {
            flight.SetResult(await LoadAndPopulateAsync(tenant, key, storedKey, keyHash, level, observation));
        }
        catch (Exception ex)
        {
            flight.SetException(ex);
        }
        finally
        {
            // Removed after completion: a miss arriving now starts a fresh load rather than reusing an old one.
            _flights.TryRemove(new KeyValuePair<string, Task<Entry?>>(storedKey, flight.Task));
        }
    }

    private async Task<Entry?> LoadAndPopulateAsync(
        string tenant, string key, string storedKey, ulong keyHash, ConsistencyLevel level, WriteFence.Observation observation)
    {
        // Stamped before the query: a write stamped after it wins over the value loaded here, so a slow load
        // cannot overwrite it; one stamped before it, but landing after the query, is caught by the fence below.
        var version = coordinator.Stamp();
        OriginRow? row;
        try
        {
            row = writeBack?.Pending(tenant, key) is { } logged
                ? (logged.Deleted ? null : logged)
                : await origin.GetAsync(tenant, key, CancellationToken.None);
        }
        catch
        {
            telemetry.RecordLoad("failed");
            telemetry.RecordFailure("get");
            throw;
        }

        if (row is null)
        {
            telemetry.RecordLoad("absent");
            return null;
        }

        var entry = new Entry
        {
            Key = storedKey,
            Value = ByteString.CopyFrom(row.Value),
            Kind = row.IsText ? ValueKind.Text : ValueKind.Binary,
            ExpiresAt = Timestamp.FromDateTimeOffset(time.GetUtcNow() + options.DefaultTtl),
            Version = version,
        };
        if (!_fence.StillQuiet(observation))
        {
            // A write of the key overlapped this load: what was read may be older than the write, yet stamped newer.
            telemetry.RecordLoad("found_uncached");
            return entry;
        }

        telemetry.RecordLoad("found");
        var write = await coordinator.WriteAsync(entry, keyHash, level, CancellationToken.None);
        if (!write.Satisfied)
        {
            // The value is still the origin's: the caller gets it, and the next miss loads it again.
            LogPopulateFailed(logger, write.Describe());
        }

        return entry;
    }

    [LoggerMessage(LogLevel.Warning, "A value loaded from the origin could not be written to enough replicas: {Description}")]
    private static partial void LogPopulateFailed(ILogger logger, string description);
}
