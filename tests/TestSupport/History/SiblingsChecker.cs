using System.Text;

namespace Microservices.TestSupport.History;

/// <summary>
/// The guarantee of the siblings conflict policy, checked per key: every acknowledged write W is, in every read that
/// begins after W was acknowledged, either returned (as the value or among the siblings) or replaced by a write whose
/// version vector covers W's dot (<see cref="CausalWrite.MayCover"/>: a write that sent a context that had seen W, or
/// a later write through W's own gateway) and that had begun before the read ended. Any other way of losing W is an
/// anomaly. Under last-writer-wins a blind write through another gateway drops W (its vector does not cover W), so
/// there the check reports losses: what the policy gives up by design.
/// <para>
/// Acknowledged and indeterminate writes may replace; failed writes never do. Only acknowledged writes must be seen.
/// The reads should be at a level whose replicas overlap the write's (QUORUM and QUORUM, or ALL and ONE).
/// </para>
/// </summary>
public static class SiblingsChecker
{
    /// <summary>Every (write, read) pair where an acknowledged write was lost, in the order of the reads.</summary>
    public static IReadOnlyList<LostWrite> FindLost(IEnumerable<CausalWrite> writes, IEnumerable<SiblingsRead> reads)
    {
        var byKey = writes.Where(w => w.Outcome != Outcome.Failed).ToLookup(w => w.Key, StringComparer.Ordinal);
        var lost = new List<LostWrite>();
        foreach (var read in reads.OrderBy(r => r.Invoked))
        {
            var candidates = byKey[read.Key].ToList();
            var returned = read.Values.ToHashSet(StringComparer.Ordinal);
            foreach (var write in candidates.Where(w => w.Outcome == Outcome.Ok && w.Completed < read.Invoked && !returned.Contains(w.Value)))
            {
                if (!candidates.Any(other => other.Id != write.Id && other.Invoked < read.Completed && other.MayCover(write)))
                {
                    lost.Add(new LostWrite(write, read, [.. candidates.Where(w => returned.Contains(w.Value))]));
                }
            }
        }

        return lost;
    }

    /// <summary>
    /// A summary (lost writes, distinct, and the reads that missed them), then for each of the first
    /// <paramref name="limit"/> lost writes its first counterexample: the write, the read, and the writes the read
    /// returned. Times in ms since <paramref name="origin"/>.
    /// </summary>
    public static string Describe(IReadOnlyList<LostWrite> lost, long origin, int limit = 5)
    {
        var first = lost.GroupBy(l => l.Write.Id).Select(g => g.First()).ToList();
        var text = new StringBuilder(FormattableString.Invariant($"{first.Count} acknowledged writes lost, missed by {lost.Count} (write, read) pairs")).AppendLine();
        foreach (var example in first.Take(limit))
        {
            text.Append("  lost: ").Append(example.Write.Describe(origin)).AppendLine()
                .Append("  read: ").Append(example.Read.Describe(origin)).AppendLine();
            foreach (var write in example.Returned)
            {
                text.Append("    returned: ").Append(write.Describe(origin)).AppendLine();
            }
        }

        return text.ToString();
    }
}
