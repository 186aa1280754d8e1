using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microservices.Hosting;

/// <summary>
/// Asks a resource's <c>grpc.health.v1.Health/Check</c> over h2c, on the endpoint its callers use, so Healthy means
/// "answers gRPC" (Aspire's HTTP health check could only ask /health on the HTTP/1.1 endpoint, a different port).
/// </summary>
internal sealed class GrpcHealthCheck(EndpointReference endpoint) : IHealthCheck, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);
    private GrpcChannel? _channel;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            _channel ??= GrpcChannel.ForAddress(endpoint.Url);
            var client = new Health.HealthClient(_channel);
            var reply = await client.CheckAsync(
                new HealthCheckRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"grpc.health.v1 reports {reply.Status}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("grpc.health.v1 check failed", ex);
        }
    }

    public void Dispose() => _channel?.Dispose();
}
