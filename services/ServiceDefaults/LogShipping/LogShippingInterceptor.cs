using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microservices.Logs.V1;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// Turns every handled gRPC call into a log entry for the collector: level from the status (OK -> INFO, the
/// caller's errors -> WARN, server errors and deadlines -> ERROR), message <c>&lt;method&gt; &lt;status&gt;: &lt;detail&gt;</c>,
/// the response time and the trace id. Health and reflection calls are left out.
/// </summary>
public sealed class LogShippingInterceptor(LogOutbox queue, TimeProvider time) : Interceptor
{
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

    /// <summary>The entry level for a status: OK -> INFO, the caller's errors -> WARN, the rest -> ERROR.</summary>
    public static Level LevelOf(StatusCode status) => status switch
    {
        StatusCode.OK => Level.Info,
        StatusCode.Cancelled or StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.AlreadyExists
            or StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.ResourceExhausted
            or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.Aborted => Level.Warn,
        _ => Level.Error,
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
        if (method.StartsWith("/grpc.", StringComparison.Ordinal))
        {
            return;
        }

        var entry = new LogEntry
        {
            Timestamp = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            Level = LevelOf(status),
            Service = queue.Service,
            // The detail may echo the caller's text at any length: cut it to the collector's limit, between characters.
            Message = TextCut.ToUtf8Bytes(
                string.IsNullOrEmpty(detail) ? $"{method} {status}" : $"{method} {status}: {detail}", LogEntryLimits.MaxMessageBytes),

            // A stream can stay open longer than the collector's largest response time; it counts as that long.
            ResponseTimeMs = Math.Clamp(time.GetElapsedTime(started).TotalMilliseconds, 0.001, LogEntryLimits.MaxResponseTimeMs),
            TraceId = Activity.Current?.TraceId.ToHexString() ?? string.Empty,
        };
        entry.Attributes.Add("grpc.method", method);
        entry.Attributes.Add("grpc.status", status.ToString());
        queue.Add(entry);
    }
}
