using BenchmarkDotNet.Attributes;
using Microservices.LogCollector;
using Microservices.LogCollector.Windows;
using Microsoft.Extensions.Options;

namespace Microservices.Benchmarks;

/// <summary>
/// LogCollector window queries over a 60 s window holding <see cref="Entries"/> entries of one service (10 % errors
/// with 50 distinct messages, log-normal response times): the cost should follow the seconds in the window, not
/// the entries in it.
/// </summary>
[MemoryDiagnoser]
public class WindowQueryBenchmarks
{
    private const long Now = 1_800_000_000;
    private WindowRegistry _registry = null!;

    [Params(100_000, 1_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _registry = new WindowRegistry(Options.Create(new LogCollectorOptions()));
        var random = new Random(42);
        for (var i = 0; i < Entries; i++)
        {
            var error = random.NextDouble() < 0.1;
            var ms = Math.Exp(3 + (random.NextDouble() * 2) + (random.NextDouble() * 2));
            _registry.Add(new AcceptedEntry("api", Now - (i % 60), error, ms, error ? ErrorKey.Of($"error {random.Next(50)}") : null));
        }
    }

    /// <summary>Error rate and average: counts only.</summary>
    [Benchmark(Baseline = true)]
    public double ErrorRate() => _registry.Query("api", Now - 59, Now, WindowDetail.None).ErrorRate;

    /// <summary>p50, p95 and p99 from the merged histogram.</summary>
    [Benchmark]
    public double Percentiles()
    {
        var totals = _registry.Query("api", Now - 59, Now, WindowDetail.Percentiles);
        return totals.Percentile(0.5) + totals.Percentile(0.95) + totals.Percentile(0.99);
    }

    /// <summary>Top five error messages.</summary>
    [Benchmark]
    public int TopErrors() => _registry.Query("api", Now - 59, Now, WindowDetail.TopErrors).TopErrors(5).Count;

    /// <summary>Everything GetWindowStats computes for one service.</summary>
    [Benchmark]
    public double All()
    {
        var totals = _registry.Query("api", Now - 59, Now, WindowDetail.All);
        return totals.Percentile(0.99) + totals.TopErrors(5).Count;
    }
}
