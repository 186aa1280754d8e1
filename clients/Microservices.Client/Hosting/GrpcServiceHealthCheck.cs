using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;

namespace Microservices.Client.Hosting;

/// <summary>
/// A health check that asks a service's grpc.health.v1 Check (the whole server, service name empty) over the call
/// invoker of the service's own client (its channel, handlers, deadline and credentials): Healthy when SERVING,
/// Unhealthy otherwise or when it does not answer. The call is not traced (OpenTelemetry's
/// <see cref="SuppressInstrumentationScope"/>): probes every few seconds would bury the application's request traces,
/// as the services keep their own health probes out.
/// </summary>
internal sealed class GrpcServiceHealthCheck(CallInvoker invoker) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var untraced = SuppressInstrumentationScope.Begin();
        try
        {
            var reply = await new Health.HealthClient(invoker).CheckAsync(new HealthCheckRequest(), cancellationToken: cancellationToken)
                .ResponseAsync.ConfigureAwait(false);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"the service answers {reply.Status}");
        }
        catch (RpcException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"the service did not answer: {ex.StatusCode}", ex);
        }
    }
}
