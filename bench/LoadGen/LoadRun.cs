using System.Diagnostics;
using Grpc.Net.Client;
using HdrHistogram;

namespace Microservices.LoadGen;

/// <summary>One closed-loop run of one rpc: fixed concurrency for a fixed time, latencies in an HdrHistogram.</summary>
internal static class LoadRun
{
    // Latencies are recorded in microseconds, from 1 us to 60 s, to 3 significant digits.
    private const long MaxMicroseconds = 60_000_000;

    public static async Task<LoadResult> RunAsync(string rpc, GrpcChannel[] channels, LoadOptions options)
    {
        if (options.Warmup > TimeSpan.Zero)
        {
            await MeasureAsync(rpc, channels, options, options.Warmup);
        }

        return await MeasureAsync(rpc, channels, options, options.Duration);
    }

    private static async Task<LoadResult> MeasureAsync(string rpc, GrpcChannel[] channels, LoadOptions options, TimeSpan duration)
    {
        var histograms = new LongHistogram[options.Concurrency];
        var items = new long[options.Concurrency];
        var errors = new long[options.Concurrency];
        var codes = new System.Collections.Concurrent.ConcurrentDictionary<Grpc.Core.StatusCode, long>();
        var workers = new Task[options.Concurrency];
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();

        for (var w = 0; w < options.Concurrency; w++)
        {
            var worker = w;
            histograms[w] = new LongHistogram(MaxMicroseconds, 3);
            var call = CallFactory.Create(rpc, channels[w % channels.Length], options, w);
            var prepare = DisagreeingReads.Prepare(rpc, options, w);
            workers[w] = Task.Run(async () =>
            {
                // Paced: each worker's calls are due every concurrency/rate seconds, staggered between workers.
                var interval = options.Rate > 0 ? (long)((double)options.Concurrency / options.Rate * Stopwatch.Frequency) : 0;
                var due = started + (interval * worker / options.Concurrency);
                while (Stopwatch.GetTimestamp() < stopAt)
                {
                    if (interval > 0)
                    {
                        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                        if (wait > TimeSpan.Zero)
                        {
                            await Task.Delay(wait);
                        }

                        due += interval;
                    }

                    if (prepare is not null)
                    {
                        await prepare();
                    }

                    var begin = Stopwatch.GetTimestamp();
                    try
                    {
                        items[worker] += await call();
                    }
                    catch (Grpc.Core.RpcException ex)
                    {
                        errors[worker]++;
                        codes.AddOrUpdate(ex.StatusCode, 1, (_, n) => n + 1);
                        continue;
                    }

                    var micros = Stopwatch.GetElapsedTime(begin).Ticks / 10;
                    histograms[worker].RecordValue(Math.Clamp(micros, 1, MaxMicroseconds));
                }
            });
        }

        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var total = new LongHistogram(MaxMicroseconds, 3);
        foreach (var histogram in histograms)
        {
            total.Add(histogram);
        }

        // A run in which every call failed has no latencies: 0 ms, beside its error count and codes.
        double Percentile(double p) => total.TotalCount == 0 ? 0 : total.GetValueAtPercentile(p) / 1000.0;
        return new LoadResult(rpc, total.TotalCount, items.Sum(), errors.Sum(), elapsed, Percentile(50), Percentile(99), Percentile(99.9),
            string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
    }
}
