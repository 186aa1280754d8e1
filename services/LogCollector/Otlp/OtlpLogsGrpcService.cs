using System.Globalization;
using System.Text;
using Grpc.Core;
using Microservices.LogCollector.Ingest;
using Microservices.Logs.V1;
using Microservices.ServiceDefaults;
using Microservices.ServiceDefaults.LogShipping;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace Microservices.LogCollector.Otlp;

/// <summary>
/// OTLP/gRPC logs ingest: <c>opentelemetry.proto.collector.logs.v1.LogsService/Export</c> on the collector's port, so
/// any OpenTelemetry SDK or Collector can send logs here. The records go through the same checks, limits and
/// accounting as <c>Write</c> (<see cref="OtlpLogMapper"/> says how they translate): a request over 1000 records or
/// <c>LogCollector:MaxBatchBytes</c> is refused whole with INVALID_ARGUMENT; otherwise each record is accepted or
/// rejected alone, and rejections come back the OTLP way, as <see cref="ExportLogsPartialSuccess"/> (the count and a
/// message with the first reasons). Auth is the collector's: the cluster key or an application key.
/// </summary>
internal sealed class OtlpLogsGrpcService(LogIngestor ingestor) : LogsService.LogsServiceBase
{
    /// <summary>Most rejection reasons quoted in <see cref="ExportLogsPartialSuccess.ErrorMessage"/>.</summary>
    public const int MaxQuotedReasons = 5;

    /// <inheritdoc />
    public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(ingestor.CheckBatch("log_records", OtlpLogMapper.CountRecords(request), request.CalculateSize()));
        var tally = new IngestTally();
        ingestor.Ingest(OtlpLogMapper.ToEntries(request), tally);
        return Task.FromResult(Response(tally.ToSummary()));
    }

    /// <summary>
    /// No partial success when every record was accepted whole; else the rejected count and a message such as
    /// <c>2 of 10 log records rejected; record 3: level must be ...; record 7: ...</c> (records numbered from 0 in
    /// request order, across resources and scopes), which also tells of bodies counted as truncated.
    /// </summary>
    private static ExportLogsServiceResponse Response(IngestSummary summary)
    {
        var response = new ExportLogsServiceResponse();
        if (summary.Rejected == 0 && summary.Truncated == 0)
        {
            return response;
        }

        var message = new StringBuilder();
        if (summary.Rejected > 0)
        {
            message.Append(CultureInfo.InvariantCulture, $"{summary.Rejected} of {summary.Accepted + summary.Rejected} log records rejected");
            foreach (var rejection in summary.Rejections.Take(MaxQuotedReasons))
            {
                message.Append(CultureInfo.InvariantCulture, $"; record {rejection.Index}: {rejection.Reason}");
            }

            if (summary.Rejected > MaxQuotedReasons)
            {
                message.Append("; ...");
            }
        }

        if (summary.Truncated > 0)
        {
            message.Append(message.Length > 0 ? ". " : string.Empty).Append(CultureInfo.InvariantCulture,
                $"{summary.Truncated} accepted records have a body over {LogEntryLimits.MaxMessageBytes} bytes (UTF-8), counted as truncated");
        }

        response.PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = (long)summary.Rejected, ErrorMessage = message.ToString() };
        return response;
    }
}
