using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Google.Protobuf.Collections;
using Microservices.LogCollector;
using Microservices.LogCollector.Ingest;
using Microservices.LogCollector.Telemetry;
using Microservices.LogCollector.Windows;
using Microservices.Logs.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microservices.Benchmarks;

/// <summary>
/// The LogCollector's work for one batch of 500 entries (the load generator's mix: 10 services, 10 % errors),
/// without the transport, with a listener on its meter as the running service has.
/// </summary>
[MemoryDiagnoser]
public class IngestBenchmarks
{
    private readonly RepeatedField<LogEntry> _batch = [];
    private ServiceProvider _services = null!;
    private MeterListener _listener = null!;
    private LogIngestor _ingestor = null!;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _listener = new MeterListener { InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument) };
        _listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        _listener.Start();
        var options = Options.Create(new LogCollectorOptions());
        var windows = new WindowRegistry(options);
        var telemetry = new LogCollectorTelemetry(_services.GetRequiredService<IMeterFactory>(), windows);
        _ingestor = new LogIngestor(windows, TimeProvider.System, options, telemetry);
        var random = new Random(1);
        for (var i = 0; i < 500; i++)
        {
            var error = random.NextDouble() < 0.1;
            _batch.Add(new LogEntry
            {
                Level = error ? Level.Error : Level.Info,
                Service = $"service-{random.Next(10)}",
                Message = error ? $"upstream failure {random.Next(50)}" : "GET /api/orders 200",
                ResponseTimeMs = 1 + (random.NextDouble() * 399),
            });
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    /// <summary>Validates and counts one batch of 500.</summary>
    [Benchmark(OperationsPerInvoke = 500)]
    public ulong IngestBatch()
    {
        var tally = new IngestTally();
        _ingestor.Ingest(_batch, tally);
        return tally.Sent;
    }
}
