using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microservices.Hosting;

/// <summary>A start order that does not hang on a dependency the operator stopped.</summary>
internal static partial class DependencyWaits
{
    /// <summary>
    /// Before each start of <paramref name="resource"/> (the first, and every restart), waits until
    /// <paramref name="dependency"/> answers its health check, unless it is stopped (Finished, Exited or
    /// FailedToStart: failed or stopped from the dashboard, or crashed). Aspire's <c>WaitFor</c> would wait for a
    /// stopped dependency forever; the gateway instead starts with what it has, and its failure detector marks what it
    /// cannot reach (and its rate limiter client fails open or closed, as configured).
    /// </summary>
    public static IResourceBuilder<T> WaitForHealthyUnlessStopped<T>(this IResourceBuilder<T> resource, IResourceBuilder<IResource> dependency)
        where T : IResource => resource.OnBeforeResourceStarted(async (_, started, cancellationToken) =>
        {
            var name = dependency.Resource.Name;
            var notifications = started.Services.GetRequiredService<ResourceNotificationService>();
            var logger = started.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource.Resource);
            LogWaiting(logger, name);
            var reached = await notifications.WaitForResourceAsync(name, e => IsHealthyOrStopped(e.Snapshot), cancellationToken);
            LogWaited(logger, name, reached.Snapshot.HealthStatus == HealthStatus.Healthy ? "healthy" : $"stopped ({reached.Snapshot.State?.Text}): not waiting for it");
        });

    private static bool IsHealthyOrStopped(CustomResourceSnapshot snapshot) =>
        snapshot.HealthStatus == HealthStatus.Healthy || KnownResourceStates.TerminalStates.Contains(snapshot.State?.Text);

    [LoggerMessage(LogLevel.Information, "Waiting for {Dependency} to answer its health check, unless it is stopped")]
    private static partial void LogWaiting(ILogger logger, string dependency);

    [LoggerMessage(LogLevel.Information, "{Dependency} is {Outcome}")]
    private static partial void LogWaited(ILogger logger, string dependency, string outcome);
}
