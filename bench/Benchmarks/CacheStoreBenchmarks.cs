using BenchmarkDotNet.Attributes;
using Microservices.CacheNode.Store;
using Microsoft.Extensions.Caching.Memory;

namespace Microservices.Benchmarks;

/// <summary>
/// Reads and writes with a TTL: the cache node's <see cref="CacheStore"/> against what a .NET user would use in
/// process, <see cref="MemoryCache"/>. 10,000 keys with 100-byte values, every key present before measuring.
/// One operation is one Get or one Put; with 2 threads the same operations are split between them, so the time is
/// wall time per operation. Each thread works on its own half of the keys, and versions come from the monotonic
/// clock, as a writer's hybrid logical clock would give them.
/// </summary>
[MemoryDiagnoser]
public class CacheStoreBenchmarks
{
    private const int Operations = 100_000;
    private const int KeyCount = 10_000;
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private readonly byte[] _value = new byte[100];
    private string[] _keys = [];
    private CacheStore _ours = null!;
    private MemoryCache _theirs = null!;

    /// <summary>Threads working at once.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _keys = Enumerable.Range(0, KeyCount).Select(i => $"user:{i}:profile").ToArray();
        _ours = new CacheStore(TimeProvider.System, 256L << 20, TimeSpan.FromMinutes(10));
        _theirs = new MemoryCache(new MemoryCacheOptions());
        foreach (var key in _keys)
        {
            OursPut(key);
            TheirsPut(key);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _theirs.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    [BenchmarkCategory("Get")]
    public int MemoryCacheGet() => Run(static (self, key) => self._theirs.TryGetValue(key, out _));

    [Benchmark(OperationsPerInvoke = Operations)]
    [BenchmarkCategory("Get")]
    public int CacheStoreGet() => Run(static (self, key) => self._ours.Get(key) is not null);

    [Benchmark(OperationsPerInvoke = Operations)]
    [BenchmarkCategory("Put")]
    public int MemoryCachePut() => Run(static (self, key) => self.TheirsPut(key));

    [Benchmark(OperationsPerInvoke = Operations)]
    [BenchmarkCategory("Put")]
    public int CacheStorePut() => Run(static (self, key) => self.OursPut(key));

    private bool OursPut(string key)
    {
        var version = new EntryVersion(System.Diagnostics.Stopwatch.GetTimestamp(), "bench", []);
        var expiresAt = DateTimeOffset.UtcNow.Add(Ttl).ToUnixTimeMilliseconds();
        return _ours.Put(new EntryWrite(key, _value, EntryKind.Binary, version, expiresAt, Tombstone: false)).Applied;
    }

    private bool TheirsPut(string key)
    {
        _theirs.Set(key, _value, Ttl);
        return true;
    }

    private int Run(Func<CacheStoreBenchmarks, string, bool> operation) =>
        SplitOperations.Run(Threads, Operations, (thread, operations) => Loop(operation, thread, operations));

    private int Loop(Func<CacheStoreBenchmarks, string, bool> operation, int thread, int operations)
    {
        var keys = _keys;
        var done = 0;
        var index = thread;
        for (var i = 0; i < operations; i++)
        {
            if (operation(this, keys[index]))
            {
                done++;
            }

            index += Threads;
            if (index >= keys.Length)
            {
                index = thread;
            }
        }

        return done;
    }
}
