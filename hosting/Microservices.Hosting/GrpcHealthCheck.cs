using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microservices.Hosting;

/// <summary>
/// Asks a resource's <c>grpc.health.v1.Health/Check</c> over h2c. The services' endpoints speak HTTP/2 only,
/// so the HTTP/1.1 health check Aspire ships cannot reach them.
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
