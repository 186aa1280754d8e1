namespace Microservices.TestSupport.History;

/// <summary>
/// Checks a history of reads and writes for linearizability per key, each key a read/write register that starts
/// absent (<see cref="RegisterSearch"/>: Wing and Gong's search with Lowe's memoisation, as Knossos and Porcupine do).
/// Linearizability is local (Herlihy and Wing, 1990): a history is linearizable when each key's is, so keys are
/// searched one at a time, and a run should spread its operations over many keys, few per key.
/// <para>
/// What is checked: Ok writes and Ok reads, and Indeterminate writes, which may take effect any time after their
/// invocation or never. Failed operations and reads that did not succeed tell nothing and are left out. The search
/// explores at most <c>maxStates</c> configurations per key, and says <see cref="Verdict.Unknown"/> past that rather
/// than run on.
/// </para>
/// </summary>
public static class LinearizabilityChecker
{
    /// <summary>Configurations explored per key by default before the verdict is Unknown.</summary>
    public const int DefaultMaxStates = 200_000;

    /// <summary>Checks every key of <paramref name="history"/>.</summary>
    public static HistoryReport Check(IEnumerable<Operation> history, int maxStates = DefaultMaxStates)
    {
        var verdicts = history.GroupBy(op => op.Key, StringComparer.Ordinal)
            .Select(key => CheckKey([.. key], maxStates))
            .ToList();
        return new HistoryReport(verdicts);
    }

    /// <summary>Checks the operations of one key (all of <paramref name="operations"/> must be on that key).</summary>
    public static KeyVerdict CheckKey(IReadOnlyList<Operation> operations, int maxStates = DefaultMaxStates)
    {
        var read = operations.Where(op => op is { Kind: OperationKind.Read, Outcome: Outcome.Ok, Value: not null })
            .Select(op => op.Value!).ToHashSet(StringComparer.Ordinal);
        var relevant = operations.Where(op => Matters(op, read)).ToList();
        var key = operations.Count > 0 ? operations[0].Key : string.Empty;
        var search = new RegisterSearch(relevant);
        var verdict = search.Run(maxStates);
        var counterexample = verdict == Verdict.NotLinearizable ? Minimise(relevant, maxStates) : [];
        return new KeyVerdict(key, verdict, relevant.Count, search.States, counterexample);
    }

    // An indeterminate write that no read saw is left out: it may never have taken effect, and when it did, a write
    // after it overwrote it before any read (else a read would have seen it), so it changes no read's answer. Left
    // in, each such write doubles the configurations to explore.
    private static bool Matters(Operation op, HashSet<string> read) => op.Outcome switch
    {
        Outcome.Ok => true,
        Outcome.Indeterminate => op.Kind == OperationKind.Write && read.Contains(op.Value!),
        _ => false,
    };

    // Drops operations one at a time while the rest stay not linearizable, until none can go: a 1-minimal
    // counterexample. A write whose value a remaining read saw stays, so the counterexample never degenerates into
    // "a read of a value nobody wrote".
    private static List<Operation> Minimise(List<Operation> operations, int maxStates)
    {
        var kept = operations;
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = kept.Count - 1; i >= 0; i--)
            {
                var candidate = kept[i];
                if (candidate.Kind == OperationKind.Write &&
                    kept.Any(op => op.Kind == OperationKind.Read && string.Equals(op.Value, candidate.Value, StringComparison.Ordinal)))
                {
                    continue;
                }

                var without = kept.Where((_, index) => index != i).ToList();
                if (new RegisterSearch(without).Run(maxStates) == Verdict.NotLinearizable)
                {
                    kept = without;
                    changed = true;
                }
            }
        }

        return kept;
    }
}
