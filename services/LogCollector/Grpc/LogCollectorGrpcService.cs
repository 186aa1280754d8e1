using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.LogCollector.Alerting;
using Microservices.LogCollector.Ingest;
using Microservices.LogCollector.Windows;
using Microservices.Logs.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Grpc;

/// <summary>The <c>microservices.logs.v1.LogCollector</c> service: ingest, window queries and alerts.</summary>
internal sealed class LogCollectorGrpcService(
    LogIngestor ingestor, WindowRegistry windows, AlertManager alerts, TimeProvider time, IOptions<LogCollectorOptions> options)
    : Logs.V1.LogCollector.LogCollectorBase
{
    private const int DefaultTopErrors = 5;
    private const int MaxTopErrors = 100;

    private readonly LogCollectorOptions _options = options.Value;

    /// <inheritdoc />
    public override async Task<IngestResponse> Ingest(IAsyncStreamReader<IngestRequest> requestStream, ServerCallContext context)
    {
        var tally = new IngestTally();
        var batch = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var error = ingestor.CheckBatch(request.Entries, request.CalculateSize());
            if (error is not null)
            {
                var summary = tally.ToSummary();
                RpcErrors.Throw(StatusCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                    $"batch {batch}: {error}; it was not applied; the {summary.Accepted + summary.Rejected} entries before it were (accepted {summary.Accepted}, rejected {summary.Rejected})"));
            }

            ingestor.Ingest(request.Entries, tally);
            batch++;
        }

        return new IngestResponse { Summary = tally.ToSummary() };
    }

    /// <inheritdoc />
    public override Task<WriteResponse> Write(WriteRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(ingestor.CheckBatch(request.Entries, request.CalculateSize()));
        var tally = new IngestTally();
        ingestor.Ingest(request.Entries, tally);
        return Task.FromResult(new WriteResponse { Summary = tally.ToSummary() });
    }

    /// <inheritdoc />
    public override Task<GetErrorRateResponse> GetErrorRate(GetErrorRateRequest request, ServerCallContext context)
    {
        var (totals, window) = Query(request.Service, request.Window, WindowDetail.None);
        return Task.FromResult(new GetErrorRateResponse
        {
            Rate = totals.ErrorRate,
            Errors = (ulong)totals.Errors,
            Total = (ulong)totals.Count,
            Window = window,
        });
    }

    /// <inheritdoc />
    public override Task<GetAverageResponseTimeResponse> GetAverageResponseTime(
        GetAverageResponseTimeRequest request, ServerCallContext context)
    {
        var (totals, window) = Query(request.Service, request.Window, WindowDetail.Percentiles);
        return Task.FromResult(new GetAverageResponseTimeResponse { Stats = ResponseTimes(totals), Window = window });
    }

    /// <inheritdoc />
    public override Task<GetTopErrorsResponse> GetTopErrors(GetTopErrorsRequest request, ServerCallContext context)
    {
        if (request.Limit > MaxTopErrors)
        {
            RpcErrors.Throw(StatusCode.InvalidArgument, $"limit must be at most {MaxTopErrors}, got {request.Limit}");
        }

        var (totals, window) = Query(request.Service, request.Window, WindowDetail.TopErrors);
        var response = new GetTopErrorsResponse
        {
            Window = window,
            Approximate = totals.Approximate,
            MaxError = (ulong)totals.MaxError,
        };
        response.Errors.AddRange(TopErrors(totals, request.Limit == 0 ? DefaultTopErrors : (int)request.Limit));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<GetWindowStatsResponse> GetWindowStats(GetWindowStatsRequest request, ServerCallContext context)
    {
        var (first, last, window) = Range(request.Window);
        var response = new GetWindowStatsResponse
        {
            Window = window,
            Overall = Stats(string.Empty, windows.Query(string.Empty, first, last, WindowDetail.All)),
        };
        var services = request.Service.Length == 0 ? windows.ServiceNames : [request.Service];
        response.Services.AddRange(services.Select(service => Stats(service, windows.Query(service, first, last, WindowDetail.All))));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context)
    {
        var response = new ListAlertsResponse();
        response.Alerts.AddRange(alerts.List(request.IncludeResolved));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override async Task WatchAlerts(
        WatchAlertsRequest request, IServerStreamWriter<WatchAlertsResponse> responseStream, ServerCallContext context)
    {
        using var watch = alerts.Watch(request.Service);
        try
        {
            await foreach (var change in watch.Events.ReadAllAsync(context.CancellationToken))
            {
                if (watch.Wants(change))
                {
                    await responseStream.WriteAsync(change, context.CancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private (WindowTotals Totals, Duration Window) Query(string service, Duration? window, WindowDetail detail)
    {
        var (first, last, used) = Range(window);
        return (windows.Query(service, first, last, detail), used);
    }

    private (long First, long Last, Duration Window) Range(Duration? window)
    {
        var length = _options.WindowSize;
        if (window is not null)
        {
            RpcErrors.ThrowIfInvalid(ProtoTime.TryToTimeSpan(window, "window", out length));
            if (length < TimeSpan.FromSeconds(1) || length > _options.Retention)
            {
                RpcErrors.Throw(StatusCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                    $"window must be from 1 s to the retention ({_options.Retention.TotalSeconds:0} s), got {window.Seconds + (window.Nanos / 1e9):0.#########} s"));
            }
        }

        // Whole seconds: the window ends with the current second and reaches back over as many as it lasts.
        var seconds = (long)Math.Ceiling(length.TotalSeconds);
        var last = time.GetUtcNow().ToUnixTimeSeconds();
        return (last - seconds + 1, last, ProtoTime.ToDuration(TimeSpan.FromSeconds(seconds)));
    }

    private static ServiceWindowStats Stats(string service, WindowTotals totals)
    {
        var stats = new ServiceWindowStats
        {
            Service = service,
            Total = (ulong)totals.Count,
            Errors = (ulong)totals.Errors,
            ErrorRate = totals.ErrorRate,
            ResponseTime = ResponseTimes(totals),
        };
        stats.TopErrors.AddRange(TopErrors(totals, DefaultTopErrors));
        return stats;
    }

    private static ResponseTimeStats ResponseTimes(WindowTotals totals) => new()
    {
        AverageMs = totals.AverageMs,
        P50Ms = totals.Percentile(0.50),
        P95Ms = totals.Percentile(0.95),
        P99Ms = totals.Percentile(0.99),
        Count = (ulong)totals.Timed,
    };

    private static IEnumerable<ErrorCount> TopErrors(WindowTotals totals, int limit) =>
        totals.TopErrors(limit).Select(pair => new ErrorCount
        {
            Message = pair.Key.Text,
            Count = (ulong)pair.Value,
            Truncated = pair.Key.Truncated,
            Digest = pair.Key.DigestText,
        });
}
