using BenchmarkDotNet.Attributes;
using Microservices.Gateway.Routing;
using Microservices.ServiceDefaults;

namespace Microservices.Benchmarks;

/// <summary>Ring lookups of precomputed key hashes: the owner, and the preference list of three.</summary>
[MemoryDiagnoser]
public class HashRingBenchmarks
{
    private const int Lookups = 1024;
    private readonly ulong[] _hashes = Enumerable.Range(0, Lookups).Select(i => KeyHash.Of($"user:{i}")).ToArray();
    private HashRing _ring = null!;

    /// <summary>Virtual nodes per node (10 nodes).</summary>
    [Params(160)]
    public int VirtualNodes { get; set; }

    [GlobalSetup]
    public void Setup() => _ring = HashRing.Create(Enumerable.Range(1, 10).Select(i => $"cache-node-{i}"), VirtualNodes);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int Owner()
    {
        var total = 0;
        foreach (var hash in _hashes)
        {
            total += _ring.Owner(hash).Length;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int PreferenceListOfThree()
    {
        Span<int> replicas = stackalloc int[3];
        var total = 0;
        foreach (var hash in _hashes)
        {
            total += _ring.PreferenceList(hash, replicas);
        }

        return total;
    }

    /// <summary>Prints max/mean keys per node for 1M keys on 10 nodes at several virtual-node counts.</summary>
    public static void PrintBalance()
    {
        var hashes = Enumerable.Range(0, 1_000_000).Select(i => KeyHash.Of($"user:{i}")).ToArray();
        foreach (var vnodes in new[] { 40, 80, 160, 256, 512 })
        {
            var ring = HashRing.Create(Enumerable.Range(1, 10).Select(i => $"cache-node-{i}"), vnodes);
            var counts = hashes.GroupBy(ring.Owner).Select(g => g.Count()).ToArray();
            Console.WriteLine($"vnodes {vnodes,4}: max/mean {counts.Max() / (hashes.Length / 10.0):F3}, min/mean {counts.Min() / (hashes.Length / 10.0):F3}");
        }
    }
}
