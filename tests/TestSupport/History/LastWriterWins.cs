namespace Microservices.TestSupport.History;

/// <summary>
/// The guarantee of the last-writer-wins conflict policy, checked per key on a history of writes through several
/// gateways: an acknowledged write W may be missing from a read that began after W was acknowledged only when it was
/// replaced by a write that had seen it (<see cref="SiblingsChecker"/>'s rule), or overwritten by a newer concurrent
/// one: a write that had not seen W, had begun before the read ended, and whose version orders after W's (hybrid
/// timestamp, then writer id, as the nodes compare them; an indeterminate write's version is unknown, so it may).
/// Such overwrites are what the policy gives up by design, and are counted; any other loss is an anomaly.
/// </summary>
public static class LastWriterWins
{
    /// <summary>
    /// Splits <see cref="SiblingsChecker.FindLost"/>'s (write, read) pairs into the writes overwritten by a newer
    /// concurrent write (<c>Overwritten</c>: distinct writes, each with the first read that missed it) and the pairs no
    /// such write explains (<c>Lost</c>: anomalies). Needs <see cref="CausalWrite.Timestamp"/> on acknowledged writes.
    /// </summary>
    public static (IReadOnlyList<LostWrite> Overwritten, IReadOnlyList<LostWrite> Lost) Check(
        IReadOnlyList<CausalWrite> writes, IEnumerable<SiblingsRead> reads)
    {
        var byKey = writes.Where(w => w.Outcome != Outcome.Failed).ToLookup(w => w.Key, StringComparer.Ordinal);
        var overwritten = new List<LostWrite>();
        var lost = new List<LostWrite>();
        foreach (var missed in SiblingsChecker.FindLost(writes, reads))
        {
            if (!byKey[missed.Write.Key].Any(other => other.Id != missed.Write.Id && other.Invoked < missed.Read.Completed && OrdersAfter(other, missed.Write)))
            {
                lost.Add(missed);
            }
            else if (!overwritten.Any(o => o.Write.Id == missed.Write.Id))
            {
                overwritten.Add(missed);
            }
        }

        return (overwritten, lost);
    }

    // True when `write`'s version may order after `earlier`'s (acknowledged): by timestamp, then writer id.
    private static bool OrdersAfter(CausalWrite write, CausalWrite earlier) => write.Timestamp is not { } stamp
        || stamp > earlier.Timestamp
        || (stamp == earlier.Timestamp && string.CompareOrdinal(write.Writer, earlier.Writer) > 0);
}
