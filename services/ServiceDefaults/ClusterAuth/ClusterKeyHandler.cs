namespace Microservices.ServiceDefaults.ClusterAuth;

/// <summary>
/// Sends the cluster key on every request of an HTTP client or gRPC channel to an internal service, in the
/// <c>x-cluster-key</c> header (gRPC metadata is HTTP/2 headers). Without a key it sends nothing.
/// </summary>
public sealed class ClusterKeyHandler(string? key) : DelegatingHandler
{
    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(key))
        {
            request.Headers.TryAddWithoutValidation(ClusterAuthOptions.ClusterKeyHeader, key);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
