using Grpc.Core;
using Microservices.Gateway.Security;
using Microservices.RateLimit.V1;
using Microsoft.Extensions.Options;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.RateLimiting;

/// <summary>
/// Reads the capacity and rate of every policy the tenants use from the limiter (Peek on a key of the gateway's
/// own, which takes no token) at start and every <see cref="RateLimitOptions.PolicyRefresh"/>, every 5 s while
/// one cannot be read. The first Peek also opens the connection, so the first tenant request does not spend its
/// deadline on connection set-up.
/// </summary>
internal sealed partial class PolicyReader(
    RateLimiterClient client, PolicyLimits limits, IOptions<SecurityOptions> security, IOptions<RateLimitOptions> options,
    TimeProvider time, ILogger<PolicyReader> logger) : BackgroundService
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);
    private readonly HashSet<string> _failing = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var policies = security.Value.ApiKeys.Select(key => key.Policy).Append("default").Distinct(StringComparer.Ordinal).ToArray();
        try
        {
            while (true)
            {
                var allRead = true;
                foreach (var policy in policies)
                {
                    allRead &= await ReadAsync(policy, stoppingToken).ConfigureAwait(false);
                }

                await Task.Delay(allRead ? options.Value.PolicyRefresh : RetryInterval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a call cut short may end with its own error (gRPC: CANCELLED), not an OperationCanceledException.
        }
    }

    private async Task<bool> ReadAsync(string policy, CancellationToken stoppingToken)
    {
        try
        {
            var reply = await client.PeekAsync(
                new PeekRequest { Key = $"gateway:policy:{policy}", Policy = policy }, deadline: DateTime.UtcNow + Deadline,
                cancellationToken: stoppingToken).ConfigureAwait(false);
            limits.Set(policy, new PolicyLimit(reply.State.Capacity, reply.State.RefillPerSecond));
            _failing.Remove(policy);
            return true;
        }
        catch (RpcException ex)
        {
            // A call in flight while the gateway stops ends as CANCELLED or DEADLINE_EXCEEDED: not a failure to report,
            // and not an exception to let out of ExecuteAsync (that would stop the host as a crash).
            if (!stoppingToken.IsCancellationRequested && _failing.Add(policy))
            {
                LogReadFailed(policy, ex.StatusCode, ex.Status.Detail);
            }

            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Could not read the limits of rate-limit policy {Policy} from the limiter ({Status}: {Detail}); until they are read, local decisions use RateLimiting:Policies, or refuse")]
    private partial void LogReadFailed(string policy, StatusCode status, string detail);
}
