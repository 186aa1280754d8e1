namespace Microservices.Samples.WebApi.Products;

/// <summary>Makes the catalog's database ready before the server takes its first request.</summary>
internal sealed class CatalogStartup(ProductStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
