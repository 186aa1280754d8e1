using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Microservices.Benchmarks.RateLimiterBenchmarks).Assembly).Run(args);
