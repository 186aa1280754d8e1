using System.Diagnostics.Metrics;

namespace Microservices.Gateway.Origin;

/// <summary>Metrics of the origin database and its pool, on the gateway's meter.</summary>
public sealed class OriginTelemetry
{
    private readonly Meter _meter;
    private readonly Histogram<double> _wait;
    private readonly Counter<long> _loads;
    private readonly Counter<long> _shared;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _written;
    private long _transactions;
    private long _rows;

    /// <summary>Creates the instruments.</summary>
    public OriginTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(GatewayTelemetry.Name);
        _wait = _meter.CreateHistogram<double>(
            "gateway.origin.pool.wait", "ms", "Time an acquire waited for a pooled connection.");
        _loads = _meter.CreateCounter<long>(
            "gateway.origin.loads", "{load}", "Cache misses loaded from the origin, by result: found, found_uncached (a write of the key overlapped the load), absent, failed.");
        _shared = _meter.CreateCounter<long>(
            "gateway.origin.loads.shared", "{request}", "Misses that joined a load already in flight for the same key.");
        _failures = _meter.CreateCounter<long>(
            "gateway.origin.errors", "{error}", "Origin operations that failed, by operation.");
        _written = _meter.CreateCounter<long>(
            "gateway.origin.rows.written", "{row}", "Rows (and deletes) written to the origin in committed transactions.");
    }

    /// <summary>Write transactions the origin committed, since start.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Rows (and deletes) in those transactions, since start.</summary>
    public long RowsWritten => Interlocked.Read(ref _rows);

    /// <summary>Counts one committed write transaction of <paramref name="rows"/> rows.</summary>
    public void RecordWrite(int rows)
    {
        Interlocked.Increment(ref _transactions);
        Interlocked.Add(ref _rows, rows);
        _written.Add(rows);
    }

    /// <summary>Publishes the pool's gauges, read from its stats when collected.</summary>
    public void ObservePool(Func<PoolStats> stats)
    {
        _meter.CreateObservableGauge("gateway.origin.pool.connections", () =>
        {
            var now = stats();
            return new[]
            {
                new Measurement<int>(now.Active, new KeyValuePair<string, object?>("state", "active")),
                new Measurement<int>(now.Idle, new KeyValuePair<string, object?>("state", "idle")),
            };
        }, "{connection}", "Pooled connections by state; their sum is the total.");
        _meter.CreateObservableGauge("gateway.origin.pool.waiting", () => stats().Waiting, "{caller}", "Callers waiting for a connection.");
        _meter.CreateObservableCounter("gateway.origin.pool.timeouts", () => stats().Timeouts, "{timeout}", "Acquires that gave up at the timeout.");
        _meter.CreateObservableCounter("gateway.origin.pool.created", () => stats().Created, "{connection}", "Connections opened.");
        _meter.CreateObservableCounter("gateway.origin.pool.destroyed", () => stats().Destroyed, "{connection}", "Connections closed.");
    }

    /// <summary>Records one acquire's wait.</summary>
    public void RecordWait(TimeSpan wait) => _wait.Record(wait.TotalMilliseconds);

    /// <summary>Counts one origin load by result.</summary>
    public void RecordLoad(string result) => _loads.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Counts a miss that joined a load in flight.</summary>
    public void RecordShared() => _shared.Add(1);

    /// <summary>Counts a failed origin operation.</summary>
    public void RecordFailure(string operation) => _failures.Add(1, new KeyValuePair<string, object?>("op", operation));
}
