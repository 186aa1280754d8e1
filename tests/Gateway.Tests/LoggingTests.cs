using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microservices.Gateway.Tests;

public sealed class LoggingTests : IDisposable
{
    private readonly GatewayCluster _cluster = new();

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public void OutgoingCallsLogOnlyWarningsAndErrors()
    {
        // The category IHttpClientFactory logs the gateway's calls to the rate limiter under (four lines a call).
        var logger = _cluster.GatewayServices.GetRequiredService<ILoggerFactory>()
            .CreateLogger("System.Net.Http.HttpClient.RateLimiterClient.LogicalHandler");

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }
}
