namespace Microservices.TestSupport.History;

/// <summary>
/// The guarantee of ALL writes with ONE reads, weaker than linearizability: every read returns a value at least as
/// new as the last write acknowledged before the read began. "New" is the version the service stamped (a single
/// writer's timestamps, so every write's version is distinct and ordered); a read that found nothing is older than
/// every write.
/// </summary>
public static class AcknowledgedWrites
{
    /// <summary>
    /// The Ok reads that returned something older than an Ok write of their key that completed before they were
    /// invoked, each with the newest such write. Needs <see cref="Operation.Version"/> on Ok writes and on Ok reads
    /// that found a value.
    /// </summary>
    public static IReadOnlyList<(Operation Read, Operation Missed)> FindMissed(IEnumerable<Operation> history)
    {
        var missed = new List<(Operation, Operation)>();
        foreach (var key in history.GroupBy(op => op.Key, StringComparer.Ordinal))
        {
            var writes = key.Where(op => op.Kind == OperationKind.Write && op.Outcome == Outcome.Ok).ToList();
            foreach (var read in key.Where(op => op.Kind == OperationKind.Read && op.Outcome == Outcome.Ok))
            {
                var before = writes.Where(w => w.Completed < read.Invoked).MaxBy(w => w.Version);
                if (before is not null && (read.Version ?? long.MinValue) < before.Version)
                {
                    missed.Add((read, before));
                }
            }
        }

        return missed;
    }
}
