using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microservices.ServiceDefaults.ClusterAuth;

/// <summary>Says at start who may call this internal service, loudly when anyone may.</summary>
internal sealed partial class ClusterAuthStartup(
    IOptions<ClusterAuthOptions> options, bool acceptsApplicationKeys, ILogger<ClusterAuthStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var auth = options.Value;
        if (ClusterAuthOptionsValidator.IsOpen(auth, acceptsApplicationKeys))
        {
            LogOpen(logger);
        }
        else
        {
            LogRequired(logger, acceptsApplicationKeys ? auth.ApplicationKeys.Count : 0);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "NO CLUSTER KEY: this internal service answers ANY caller on every RPC, and anyone who reaches its port reads its data. Set ClusterAuth:Key (the AppHost always does)")]
    private static partial void LogOpen(ILogger logger);

    [LoggerMessage(LogLevel.Information, "Every RPC but grpc.health.v1 and reflection needs the cluster key (x-cluster-key) or one of {ApplicationKeys} application keys (x-api-key)")]
    private static partial void LogRequired(ILogger logger, int applicationKeys);
}
