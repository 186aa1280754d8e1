using BenchmarkDotNet.Running;
using Microservices.Benchmarks;

if (args is ["--ring-balance"])
{
    HashRingBenchmarks.PrintBalance();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(RateLimiterBenchmarks).Assembly).Run(args);
