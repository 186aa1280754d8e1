using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Microservices.Gateway.Origin;
using Microsoft.Extensions.ObjectPool;

namespace Microservices.Benchmarks;

/// <summary>
/// One uncontended acquire and release: our ConnectionPool against Microsoft.Extensions.ObjectPool's
/// DefaultObjectPool (the nearest pool in .NET; it neither bounds nor waits) and a naive bounded pool built from a
/// SemaphoreSlim and a ConcurrentQueue.
/// </summary>
[MemoryDiagnoser]
public class PoolBenchmarks
{
    private ConnectionPool<Connection> _ours = null!;
    private DefaultObjectPool<Connection> _objectPool = null!;
    private NaivePool _naive = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ours = new ConnectionPool<Connection>(new ConnectionFactory(), new ConnectionPoolOptions { MinConnections = 10, MaxConnections = 10 }, TimeProvider.System);
        _ours.WarmUpAsync().GetAwaiter().GetResult();
        _objectPool = new DefaultObjectPool<Connection>(new DefaultPooledObjectPolicy<Connection>(), 10);
        _naive = new NaivePool(10);
    }

    [GlobalCleanup]
    public void Cleanup() => _ours.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public Connection ObjectPool()
    {
        var connection = _objectPool.Get();
        _objectPool.Return(connection);
        return connection;
    }

    [Benchmark]
    public async ValueTask<Connection> Naive()
    {
        var connection = await _naive.AcquireAsync();
        _naive.Release(connection);
        return connection;
    }

    [Benchmark]
    public async ValueTask<Connection> ConnectionPool()
    {
        await using var lease = await _ours.AcquireAsync();
        return lease.Connection;
    }

    /// <summary>
    /// 64 workers share 10 connections; each holds one for a 10 ms "query" (Task.Delay). Prints throughput
    /// against the physical limit (10 connections / the measured hold time) and the p50/p99 wait.
    /// </summary>
    public static async Task RunContendedAsync(TimeSpan duration)
    {
        await using var pool = new ConnectionPool<Connection>(
            new ConnectionFactory(), new ConnectionPoolOptions { MinConnections = 10, MaxConnections = 10, AcquireTimeout = TimeSpan.FromSeconds(30) },
            TimeProvider.System);
        await pool.WarmUpAsync();
        var histogram = new HdrHistogram.LongHistogram(10_000_000, 3);
        long queries = 0;
        long heldTicks = 0;
        var stopAt = DateTime.UtcNow + duration;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            while (DateTime.UtcNow < stopAt)
            {
                var waitStart = System.Diagnostics.Stopwatch.GetTimestamp();
                await using var lease = await pool.AcquireAsync();
                var acquired = System.Diagnostics.Stopwatch.GetTimestamp();
                lock (histogram)
                {
                    histogram.RecordValue(Math.Max(1, System.Diagnostics.Stopwatch.GetElapsedTime(waitStart, acquired).Ticks / 10));
                }

                await Task.Delay(10);
                Interlocked.Add(ref heldTicks, System.Diagnostics.Stopwatch.GetElapsedTime(acquired).Ticks);
                Interlocked.Increment(ref queries);
            }
        })));
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        var hold = TimeSpan.FromTicks(heldTicks / queries);
        var limit = 10 / hold.TotalSeconds;
        var throughput = queries / elapsed;
        Console.WriteLine(FormattableString.Invariant(
            $"queries/s {throughput:F0}  mean hold {hold.TotalMilliseconds:F2} ms  limit 10/hold {limit:F0}/s  ratio {throughput / limit:F3}  vs nominal 1000/s {throughput / 1000:F3}  wait p50 {histogram.GetValueAtPercentile(50) / 1000.0:F2} ms  p99 {histogram.GetValueAtPercentile(99) / 1000.0:F2} ms"));
    }

    public sealed class Connection;

    private sealed class ConnectionFactory : IConnectionFactory<Connection>
    {
        public ValueTask<Connection> CreateAsync(CancellationToken cancellationToken) => ValueTask.FromResult(new Connection());

        public bool IsUsable(Connection connection) => true;

        public ValueTask DestroyAsync(Connection connection) => ValueTask.CompletedTask;
    }

    private sealed class NaivePool
    {
        private readonly SemaphoreSlim _slots;
        private readonly ConcurrentQueue<Connection> _free = new();

        public NaivePool(int size)
        {
            _slots = new SemaphoreSlim(size, size);
            for (var i = 0; i < size; i++)
            {
                _free.Enqueue(new Connection());
            }
        }

        public async ValueTask<Connection> AcquireAsync()
        {
            await _slots.WaitAsync();
            _free.TryDequeue(out var connection);
            return connection!;
        }

        public void Release(Connection connection)
        {
            _free.Enqueue(connection);
            _slots.Release();
        }
    }
}
