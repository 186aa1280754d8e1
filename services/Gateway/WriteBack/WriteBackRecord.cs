using Microservices.Gateway.Origin;

namespace Microservices.Gateway.WriteBack;

/// <summary>
/// One write in the write-back log: a Put's row or a Delete (<see cref="OriginRow.Deleted"/>), with its place in the
/// log. <see cref="OriginRow.UpdatedAt"/> is when it was logged, from which the flush lag is measured.
/// </summary>
/// <param name="Sequence">Its position in the log: 1, 2, 3, ... in the order appended, across segments and restarts.</param>
/// <param name="Row">What the flusher writes to the origin.</param>
/// <param name="Bytes">Its size in the log file, header included.</param>
public sealed record WriteBackRecord(long Sequence, OriginRow Row, int Bytes)
{
    /// <summary>The tenant and key: what the log indexes and coalesces by.</summary>
    public (string Tenant, string Key) Id => (Row.Tenant, Row.Key);

    /// <summary>True when this write is newer than <paramref name="other"/>: version order (timestamp, then writer, ordinal), as the origin and the cache nodes compare.</summary>
    public bool IsNewerThan(WriteBackRecord other) =>
        Row.Version.Timestamp != other.Row.Version.Timestamp
            ? Row.Version.Timestamp > other.Row.Version.Timestamp
            : string.CompareOrdinal(Row.Version.Writer, other.Row.Version.Writer) > 0;
}
