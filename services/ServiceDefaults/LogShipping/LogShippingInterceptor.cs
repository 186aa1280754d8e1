using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// Logs every handled gRPC call as one record of the <see cref="Category"/> category, which the OTLP export sends to the
/// collector (<see cref="CollectorLogProcessor"/>): level from the status (OK -> Information, the caller's errors ->
/// Warning, server errors and deadlines -> Error), message <c>&lt;method&gt; &lt;status&gt;: &lt;detail&gt;</c> cut to the
/// collector's limit, and the response time as the attribute <see cref="LogRecordAttributes.ResponseTimeMs"/>; the trace
/// id is the current one, as on every OpenTelemetry log record. Health and reflection calls are left out. The exporter
/// cannot do this part: it sees log records, not calls and how long they took.
/// </summary>
public sealed class LogShippingInterceptor(ILoggerFactory loggers, TimeProvider time) : Interceptor
{
    /// <summary>The logger category of request log records.</summary>
    public const string Category = "Microservices.RequestLog";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        TrackAsync(context, () => continuation(request, context));

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        TrackAsync(context, () => continuation(requestStream, context));

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        TrackAsync(context, async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        });

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        TrackAsync(context, async () =>
        {
            await continuation(requestStream, responseStream, context);
            return true;
        });

    /// <summary>The record level for a status: OK -> Information, the caller's errors -> Warning, the rest -> Error.</summary>
    public static LogLevel LevelOf(StatusCode status) => status switch
    {
        StatusCode.OK => LogLevel.Information,
        StatusCode.Cancelled or StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.AlreadyExists
            or StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.ResourceExhausted
            or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.Aborted => LogLevel.Warning,
        _ => LogLevel.Error,
    };

    // Runs the handler and records its outcome and time, whatever the kind of call.
    private async Task<T> TrackAsync<T>(ServerCallContext context, Func<Task<T>> handler)
    {
        var started = time.GetTimestamp();
        try
        {
            var result = await handler();
            Record(context, StatusCode.OK, null, started);
            return result;
        }
        catch (Exception ex)
        {
            Record(context, ex, started);
            throw;
        }
    }

    private void Record(ServerCallContext context, Exception exception, long started)
    {
        var (status, detail) = exception switch
        {
            RpcException rpc => (rpc.StatusCode, rpc.Status.Detail),
            OperationCanceledException when context.CancellationToken.IsCancellationRequested => (StatusCode.Cancelled, "cancelled by the client"),
            _ => (StatusCode.Unknown, exception.GetType().Name),
        };
        Record(context, status, detail, started);
    }

    private void Record(ServerCallContext context, StatusCode status, string? detail, long started)
    {
        var method = context.Method;
        var level = LevelOf(status);
        if (method.StartsWith("/grpc.", StringComparison.Ordinal) || !_logger.IsEnabled(level))
        {
            return;
        }

        // The detail may echo the caller's text at any length: the whole message stays within the collector's limit,
        // cut between characters. A stream can stay open longer than the largest response time; it counts as that long.
        var room = LogEntryLimits.MaxMessageBytes - Encoding.UTF8.GetByteCount(method) - status.ToString().Length - 3;
        var state = new RequestLogState(
            method, status, detail is null ? null : TextCut.ToUtf8Bytes(detail, Math.Max(room, 0)),
            Math.Clamp(time.GetElapsedTime(started).TotalMilliseconds, 0.001, LogEntryLimits.MaxResponseTimeMs));
        _logger.Log(level, default, state, null, RequestLogState.Format);
    }
}
