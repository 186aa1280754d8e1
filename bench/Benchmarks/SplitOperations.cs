namespace Microservices.Benchmarks;

/// <summary>
/// Runs a fixed number of operations split between threads, so a benchmark's time per operation is wall time
/// per operation (the inverse of throughput) whatever the thread count. One thread runs inline.
/// </summary>
internal static class SplitOperations
{
    /// <summary>Runs <paramref name="loop"/>(thread, operations of that thread) on each thread; sums what they return.</summary>
    public static int Run(int threads, int operations, Func<int, int, int> loop)
    {
        if (threads == 1)
        {
            return loop(0, operations);
        }

        var total = 0;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            t => Interlocked.Add(ref total, loop(t, operations / threads)));
        return total;
    }
}
