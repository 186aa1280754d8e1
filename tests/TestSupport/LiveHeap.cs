using System.Runtime;

namespace Microservices.TestSupport;

/// <summary>Bytes of live objects on the managed heap, for tests that check memory accounting against it.</summary>
public static class LiveHeap
{
    /// <summary>
    /// Collects and compacts every generation (the large object heap too) until the size is stable, so free space
    /// between objects is not counted, and returns the heap's size in bytes.
    /// </summary>
    public static long Bytes()
    {
        long last = -1, now = 0;
        for (var i = 0; i < 5 && now != last; i++)
        {
            last = now;
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            now = GC.GetTotalMemory(forceFullCollection: false);
        }

        return now;
    }
}
