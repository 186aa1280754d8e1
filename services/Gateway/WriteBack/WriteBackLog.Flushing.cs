using System.Buffers.Binary;
using System.IO.Hashing;

namespace Microservices.Gateway.WriteBack;

/// <summary>What the flusher takes from the log and gives back once it is in the origin.</summary>
public sealed partial class WriteBackLog
{
    private const string CheckpointFile = "flushed.checkpoint";

    /// <summary>
    /// The oldest durable records not yet in the origin, at most <paramref name="max"/>, in log order; waits until
    /// there is one. They stay in the log until <see cref="Flushed"/>.
    /// </summary>
    public async Task<IReadOnlyList<WriteBackRecord>> NextBatchAsync(int max, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_unflushed.TryPeek(out var oldest) && oldest.Sequence <= _durableSequence)
                {
                    var batch = new List<WriteBackRecord>(Math.Min(max, _unflushed.Count));
                    foreach (var record in _unflushed)
                    {
                        if (batch.Count == max || record.Sequence > _durableSequence)
                        {
                            break;
                        }

                        batch.Add(record);
                    }

                    return batch;
                }
            }

            await _work.Reader.ReadAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Drops <paramref name="batch"/> (the last <see cref="NextBatchAsync"/>) from the log: it is in the origin. Frees
    /// its room under the bounds, records the checkpoint and deletes the segments wholly flushed.
    /// </summary>
    public void Flushed(IReadOnlyList<WriteBackRecord> batch)
    {
        lock (_gate)
        {
            foreach (var record in batch)
            {
                _unflushed.Dequeue();
                _bytes -= record.Bytes;
                // Only when it is still the key's newest: a later write of the key stays readable.
                _newest.TryRemove(new KeyValuePair<(string Tenant, string Key), WriteBackRecord>(record.Id, record));
            }

            _flushedSequence = batch[^1].Sequence;
            _retryAfter = DefaultRetryAfter;
        }

        try
        {
            WriteCheckpoint(batch[^1].Sequence);
            DeleteFlushedSegments();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Harmless: a restart replays more records, which the origin skips as not newer.
            LogCompactionFailed(logger, folder, ex.Message);
        }
    }

    // The last flushed sequence number and its CRC-32, replaced whole (written beside, then renamed over).
    private void WriteCheckpoint(long sequence)
    {
        Span<byte> data = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(data, sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(data[8..], Crc32.HashToUInt32(data[..8]));
        var path = System.IO.Path.Combine(folder, CheckpointFile);
        File.WriteAllBytes(path + ".tmp", data.ToArray());
        File.Move(path + ".tmp", path, overwrite: true);
    }

    // 0 when there is none, or it is damaged (then every record in the files is replayed, which is harmless).
    private long ReadCheckpoint()
    {
        var path = System.IO.Path.Combine(folder, CheckpointFile);
        if (!File.Exists(path))
        {
            return 0;
        }

        var data = File.ReadAllBytes(path);
        return data.Length == 12 && Crc32.HashToUInt32(data.AsSpan(0, 8)) == BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(8))
            ? BinaryPrimitives.ReadInt64LittleEndian(data)
            : 0;
    }

    [LoggerMessage(LogLevel.Warning, "The write-back log in {Folder} could not record its checkpoint or delete flushed segments: {Reason}")]
    private static partial void LogCompactionFailed(ILogger logger, string folder, string reason);
}
