namespace Microservices.LogCollector.Windows;

/// <summary>
/// The bytes all windows may hold together (<see cref="LogCollectorOptions.MaxBytes"/>), and what was given up to
/// stay under it. Bytes are taken before the memory they stand for is allocated and refused when they would pass
/// the limit, so <see cref="Used"/> never exceeds <see cref="Max"/>. Thread-safe.
/// </summary>
internal sealed class ByteBudget(long max)
{
    private long _used;
    private long _coarsenedSeconds;
    private long _trimmedMessages;
    private long _freedSeconds;
    private long _refusedServices;
    private long _refusedEntries;

    /// <summary>The limit, in bytes.</summary>
    public long Max { get; } = max;

    /// <summary>Bytes held now.</summary>
    public long Used => Volatile.Read(ref _used);

    /// <summary>Seconds whose histogram was made coarser (degradation step 1), since start.</summary>
    public long CoarsenedSeconds => Interlocked.Read(ref _coarsenedSeconds);

    /// <summary>Error-message counters dropped from old seconds (step 2), since start.</summary>
    public long TrimmedMessages => Interlocked.Read(ref _trimmedMessages);

    /// <summary>Seconds freed before the end of their retention (step 4), since start.</summary>
    public long FreedSeconds => Interlocked.Read(ref _freedSeconds);

    /// <summary>Entries refused because their service was new while the budget was nearly spent (step 3), since start.</summary>
    public long RefusedServiceEntries => Interlocked.Read(ref _refusedServices);

    /// <summary>Entries refused because the bytes they needed were not there, since start.</summary>
    public long RefusedEntries => Interlocked.Read(ref _refusedEntries);

    /// <summary>Takes <paramref name="bytes"/>; false, and nothing taken, when they would pass <see cref="Max"/>.</summary>
    public bool TryTake(long bytes)
    {
        var current = Volatile.Read(ref _used);
        while (true)
        {
            if (current + bytes > Max)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _used, current + bytes, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Gives back <paramref name="bytes"/>.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);

    public void RecordCoarsened(long seconds) => Interlocked.Add(ref _coarsenedSeconds, seconds);

    public void RecordTrimmed(long messages) => Interlocked.Add(ref _trimmedMessages, messages);

    public void RecordFreed(long seconds) => Interlocked.Add(ref _freedSeconds, seconds);

    public void RecordRefusedService(long entries) => Interlocked.Add(ref _refusedServices, entries);

    public void RecordRefused(long entries) => Interlocked.Add(ref _refusedEntries, entries);
}
