using System.Globalization;

namespace Microservices.Gateway.WriteBack;

/// <summary>The writer task: group commit into the current segment, and segment files.</summary>
public sealed partial class WriteBackLog
{
    private const string SegmentExtension = ".wblog";

    // Segment files by first sequence number, oldest first; the last is the one appended to. Under _gate.
    private readonly List<(long First, string Path)> _segments = [];
    private FileStream? _segment;

    // Appends whatever has queued, fsyncs once, then acknowledges all of it; past SegmentBytes begins a new file.
    private async Task WriteLoopAsync()
    {
        var group = new List<Append>();
        while (await _appends.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (_appends.Reader.TryRead(out var append))
            {
                group.Add(append);
            }

            try
            {
                var writes = 0;
                foreach (var append in group)
                {
                    foreach (var record in append.Records)
                    {
                        _segment!.Write(record);
                        writes++;
                    }
                }

                _segment!.Flush(flushToDisk: true);
                Interlocked.Increment(ref _syncs);
                telemetry.RecordSync(writes);
                lock (_gate)
                {
                    _durableSequence = group[^1].LastSequence;
                }

                foreach (var append in group)
                {
                    append.Done.TrySetResult();
                }

                _work.Writer.TryWrite(true);
                if (_segment.Length >= options.SegmentBytes)
                {
                    OpenSegment(group[^1].LastSequence + 1);
                }
            }
            catch (Exception ex)
            {
                // Whatever it was (a full disk, a vanished folder), no write of this group can be called durable.
                Fail(ex, group);
            }
        }
    }

    // A write or fsync failed: what it held may or may not be on disk, so none of it is acknowledged, nor flushed,
    // and no later append is taken. Records already durable still reach the origin.
    private void Fail(Exception exception, List<Append> group)
    {
        LogWriteFailed(logger, folder, exception);
        lock (_gate)
        {
            _failure = exception;
            var durable = _unflushed.Where(record => record.Sequence <= _durableSequence).ToArray();
            _unflushed.Clear();
            _newest.Clear();
            _bytes = 0;
            foreach (var record in durable)
            {
                Add(record);
            }
        }

        while (_appends.Reader.TryRead(out var queued))
        {
            group.Add(queued);
        }

        foreach (var append in group)
        {
            append.Done.TrySetException(new IOException($"the write-back log in {folder} failed: {exception.Message}", exception));
        }
    }

    // Closes the current segment (already fsync'd) and begins a new one whose first record is number `first`.
    private void OpenSegment(long first)
    {
        var path = System.IO.Path.Combine(folder, first.ToString("D20", CultureInfo.InvariantCulture) + SegmentExtension);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
        var previous = _segment;
        _segment = stream;
        previous?.Dispose();
        lock (_gate)
        {
            // At recovery the last segment may be an empty one of that name, already listed.
            if (_segments.Count == 0 || _segments[^1].Path != path)
            {
                _segments.Add((first, path));
            }
        }
    }

    // Deletes the segments whose every record is in the origin (all but the one appended to).
    private void DeleteFlushedSegments()
    {
        List<string> flushed = [];
        lock (_gate)
        {
            while (_segments.Count > 1 && _segments[1].First - 1 <= _flushedSequence)
            {
                flushed.Add(_segments[0].Path);
                _segments.RemoveAt(0);
            }
        }

        foreach (var path in flushed)
        {
            File.Delete(path);
        }
    }

    [LoggerMessage(LogLevel.Critical, "The write-back log in {Folder} failed to write; writes are refused until the gateway restarts")]
    private static partial void LogWriteFailed(ILogger logger, string folder, Exception exception);
}
