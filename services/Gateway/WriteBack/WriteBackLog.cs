using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microservices.Gateway.Origin;

namespace Microservices.Gateway.WriteBack;

/// <summary>
/// The write-back log: Puts and Deletes bound for the origin, appended to segment files on the gateway's disk and
/// acknowledged once fsync'd. One writer task appends whatever has queued while the previous fsync ran, and fsyncs
/// once for all of it (group commit, as databases batch their commit records: concurrent Puts share one fsync).
/// The records not yet in the origin are also held in memory, in order, for the <see cref="WriteBackFlusher"/>, and
/// the newest per key in an index, so that a cache miss reads a logged write rather than the origin's older row.
/// Bounded by <see cref="WriteBackOptions.MaxEntries"/> and <see cref="WriteBackOptions.MaxBytes"/>: over them an
/// append is refused (<see cref="WriteBackFullException"/>) before anything is written. Segment files are named
/// after their first record's sequence number, begun anew past <see cref="WriteBackOptions.SegmentBytes"/>, and
/// deleted once every record in them is in the origin; a checkpoint file holds the last flushed sequence number,
/// so a restart replays only what is not (<see cref="Recover"/>).
/// </summary>
public sealed partial class WriteBackLog(WriteBackOptions options, string folder, TimeProvider time, WriteBackTelemetry telemetry, ILogger<WriteBackLog> logger)
    : IDisposable
{
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Queue<WriteBackRecord> _unflushed = new();
    private readonly ConcurrentDictionary<(string Tenant, string Key), WriteBackRecord> _newest = new();
    private readonly Channel<Append> _appends = Channel.CreateUnbounded<Append>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> _work = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _nextSequence = 1;
    private long _durableSequence;
    private long _flushedSequence;
    private long _bytes;
    private long _syncs;
    private TimeSpan _retryAfter = DefaultRetryAfter;
    private Exception? _failure;
    private Task? _writer;
    private int _disposed;

    /// <summary>The folder of the segment files.</summary>
    public string Folder => folder;

    /// <summary>Writes logged and not yet in the origin.</summary>
    public int Depth
    {
        get
        {
            lock (_gate)
            {
                return _unflushed.Count;
            }
        }
    }

    /// <summary>Bytes of the log records not yet in the origin.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>fsyncs of the log since start; fewer than the writes appended when they were concurrent.</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>The last sequence number written to the origin.</summary>
    public long FlushedSequence => Interlocked.Read(ref _flushedSequence);

    /// <summary>Age of the oldest write not yet in the origin (the flush lag); zero when none.</summary>
    public TimeSpan Lag
    {
        get
        {
            lock (_gate)
            {
                return _unflushed.TryPeek(out var oldest) ? Max(time.GetUtcNow() - oldest.Row.UpdatedAt, TimeSpan.Zero) : TimeSpan.Zero;
            }
        }
    }

    /// <summary>
    /// The newest logged write of <paramref name="key"/> of <paramref name="tenant"/> not yet in the origin (a row, or
    /// a delete: <see cref="OriginRow.Deleted"/>); null when the origin has every write of it. Lock-free.
    /// </summary>
    public OriginRow? Pending(string tenant, string key) =>
        _newest.TryGetValue((tenant, key), out var record) ? record.Row : null;

    /// <summary>
    /// Appends <paramref name="rows"/> (all or none) and completes once they are fsync'd. Throws
    /// <see cref="WriteBackFullException"/> when they do not fit under the bounds, and <see cref="IOException"/>
    /// once the log has failed to write (nothing is acknowledged after that).
    /// </summary>
    public Task AppendAsync(IReadOnlyList<OriginRow> rows)
    {
        var encoded = new byte[rows.Count][];
        var bytes = 0L;
        for (var i = 0; i < rows.Count; i++)
        {
            encoded[i] = WriteBackCodec.Encode(rows[i]);
            bytes += encoded[i].Length;
        }

        var append = new Append(encoded, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            if (_failure is not null)
            {
                throw new IOException($"the write-back log in {folder} failed: {_failure.Message}", _failure);
            }

            if (_writer is null)
            {
                throw new IOException($"the write-back log in {folder} is not open (not recovered yet, or closed)");
            }

            if (_unflushed.Count + rows.Count > options.MaxEntries || _bytes + bytes > options.MaxBytes)
            {
                telemetry.RecordRefused(rows.Count);
                throw new WriteBackFullException(string.Create(CultureInfo.InvariantCulture,
                    $"the write-back log is full: {_unflushed.Count} writes ({_bytes} bytes) not yet in the origin, bounds Origin:WriteBack:MaxEntries {options.MaxEntries} and MaxBytes {options.MaxBytes}; this write has {rows.Count} ({bytes} bytes)"),
                    _retryAfter);
            }

            for (var i = 0; i < rows.Count; i++)
            {
                Add(new WriteBackRecord(_nextSequence++, rows[i], encoded[i].Length));
            }

            append.LastSequence = _nextSequence - 1;
            _appends.Writer.TryWrite(append);
        }

        return append.Done.Task;
    }

    /// <summary>Told by the flusher: a batch failed and the next try is in <paramref name="retryDelay"/> (the retry-after of a refused write).</summary>
    public void FlushFailed(TimeSpan retryDelay)
    {
        lock (_gate)
        {
            _retryAfter = Max(retryDelay, DefaultRetryAfter);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _appends.Writer.TryComplete();
        _work.Writer.TryComplete();
        try
        {
            _writer?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The writer's failure was logged, and its appends were failed, when it happened.
        }

        _segment?.Dispose();
    }

    // Under _gate: queues a record for the flusher and indexes it when it is the newest of its key.
    private void Add(WriteBackRecord record)
    {
        _unflushed.Enqueue(record);
        _bytes += record.Bytes;
        var key = record.Id;
        if (!_newest.TryGetValue(key, out var held) || record.IsNewerThan(held))
        {
            _newest[key] = record;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    // The records of one AppendAsync, and who waits for them to be durable.
    private sealed class Append(byte[][] records, TaskCompletionSource done)
    {
        public byte[][] Records => records;

        public TaskCompletionSource Done => done;

        public long LastSequence { get; set; }
    }
}
