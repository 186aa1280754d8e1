using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Logs;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// The collector exporter's way to the <see cref="CollectorLogProcessor.HttpClientName"/> client's handler chain
/// (service discovery, the cluster key). The exporter takes its HTTP client while the logger factory is being built,
/// too early for IHttpClientFactory, whose handlers want loggers; so the chain is built when the host starts and kept.
/// When the host stops, the records still queued are flushed while the chain's services (service discovery) are alive:
/// once the container is disposed an export can only fail.
/// </summary>
internal sealed class CollectorExportHandler(IHttpMessageHandlerFactory handlers, IServiceProvider services)
    : HttpMessageHandler, IHostedService
{
    private const int FlushTimeoutMilliseconds = 5000;

    private HttpMessageInvoker? _invoker;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Invoker;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        services.GetService<LoggerProvider>()?.ForceFlush(FlushTimeoutMilliseconds);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Invoker.SendAsync(request, cancellationToken);

    private HttpMessageInvoker Invoker
    {
        get
        {
            if (_invoker is null)
            {
                Interlocked.CompareExchange(ref _invoker, new HttpMessageInvoker(handlers.CreateHandler(CollectorLogProcessor.HttpClientName), disposeHandler: false), null);
            }

            return _invoker;
        }
    }
}
