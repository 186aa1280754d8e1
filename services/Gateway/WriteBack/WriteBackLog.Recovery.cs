using System.Globalization;

namespace Microservices.Gateway.WriteBack;

/// <summary>Recovery at start: the records not yet in the origin are read back from the segment files.</summary>
public sealed partial class WriteBackLog
{
    /// <summary>
    /// Opens the log: reads every segment, keeps the records after the checkpoint for the flusher, drops a torn or
    /// damaged record and whatever follows it in its file (it was never acknowledged: a write is acknowledged only
    /// after its fsync, and a crash can only cut the last one short), begins a new segment, and starts the writer.
    /// </summary>
    /// <returns>How many records are to be flushed.</returns>
    public int Recover()
    {
        Directory.CreateDirectory(folder);
        var flushed = ReadCheckpoint();
        var next = flushed + 1;
        var files = Directory.GetFiles(folder, "*" + SegmentExtension).Order(StringComparer.Ordinal).ToArray();
        lock (_gate)
        {
            foreach (var path in files)
            {
                if (!long.TryParse(System.IO.Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var first))
                {
                    continue;
                }

                next = Math.Max(next, ReadSegment(path, first, flushed));
                _segments.Add((first, path));
            }

            _nextSequence = next;
            _durableSequence = next - 1;
            _flushedSequence = flushed;
        }

        OpenSegment(next);
        DeleteFlushedSegments();
        _writer = Task.Run(WriteLoopAsync);
        var pending = Depth;
        LogRecovered(logger, folder, pending, flushed, files.Length);
        if (pending > 0)
        {
            _work.Writer.TryWrite(true);
        }

        return pending;
    }

    // Under _gate: queues the records of one segment after `flushed`; returns the sequence number after its last.
    private long ReadSegment(string path, long first, long flushed)
    {
        var data = File.ReadAllBytes(path);
        var offset = 0;
        var sequence = first;
        while (offset < data.Length)
        {
            if (WriteBackCodec.TryDecode(data.AsSpan(offset), sequence, out var length) is not { } record)
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
                file.SetLength(offset);
                file.Flush(flushToDisk: true);
                LogTornRecord(logger, path, data.Length - offset, sequence);
                break;
            }

            if (sequence > flushed)
            {
                Add(record);
            }

            offset += length;
            sequence++;
        }

        return sequence;
    }

    [LoggerMessage(LogLevel.Information, "Write-back log {Folder}: {Pending} writes to flush to the origin (checkpoint {Flushed}, {Segments} segment files)")]
    private static partial void LogRecovered(ILogger logger, string folder, int pending, long flushed, int segments);

    [LoggerMessage(LogLevel.Warning, "Write-back log {Path}: dropped {Bytes} bytes from record {Sequence} on, a torn or damaged record (never acknowledged)")]
    private static partial void LogTornRecord(ILogger logger, string path, int bytes, long sequence);
}
