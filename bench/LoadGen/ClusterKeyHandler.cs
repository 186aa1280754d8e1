namespace Microservices.LoadGen;

/// <summary>Sends --cluster-key as x-cluster-key on every call, as the services do among themselves.</summary>
internal sealed class ClusterKeyHandler(string? key) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("x-cluster-key", key);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
