using BenchmarkDotNet.Running;
using Microservices.Benchmarks;

if (args is ["--ring-balance"])
{
    HashRingBenchmarks.PrintBalance();
    return;
}

if (args is ["--pool-contended", ..])
{
    var seconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
    await PoolBenchmarks.RunContendedAsync(TimeSpan.FromSeconds(seconds));
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(RateLimiterBenchmarks).Assembly).Run(args);
