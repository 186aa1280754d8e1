namespace Aspire.Hosting;

/// <summary>Wires an application that uses the client package (Microservices.Client) to the cluster.</summary>
public static class MicroservicesClientReferenceExtensions
{
    /// <summary>
    /// Gives <paramref name="application"/> what the client package needs to reach the cluster of
    /// <paramref name="gateway"/> (from <see cref="MicroservicesClusterExtensions.AddMicroservicesCluster"/>): references
    /// to the gateway, the rate limiter and the log collector, so <c>http://&lt;gateway&gt;</c>, <c>http://ratelimiter</c>
    /// and <c>http://logcollector</c> resolve by service discovery (the client package's default addresses, and the
    /// connection names of its Aspire client integrations); the gateway's development tenant key
    /// (<c>&lt;gateway&gt;-api-key</c>) as <c>Microservices__Cache__ApiKey</c>; the application key
    /// (<c>application-key</c>) as <c>Microservices__RateLimiter__ApiKey</c> and <c>Microservices__LogCollector__ApiKey</c>.
    /// The application starts once the gateway is healthy (which starts after the rate limiter and the nodes).
    /// </summary>
    /// <param name="application">The application's resource.</param>
    /// <param name="gateway">The gateway that AddMicroservicesCluster returned, in the same AppHost.</param>
    public static IResourceBuilder<TApplication> WithMicroservicesReferences<TApplication>(
        this IResourceBuilder<TApplication> application, IResourceBuilder<ProjectResource> gateway)
        where TApplication : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(gateway);
        var builder = gateway.ApplicationBuilder;
        IResourceBuilder<T> Named<T>(string name)
            where T : IResource => builder.CreateResourceBuilder(builder.Resources.OfType<T>().SingleOrDefault(r => r.Name == name)
                ?? throw new InvalidOperationException($"no resource '{name}': call AddMicroservicesCluster before WithMicroservicesReferences"));

        var applicationKey = Named<ParameterResource>("application-key");
        return application
            .WithReference(gateway).WaitFor(gateway)
            .WithReference(Named<ProjectResource>("ratelimiter"))
            .WithReference(Named<ProjectResource>("logcollector"))
            .WithEnvironment("Microservices__Cache__ApiKey", Named<ParameterResource>($"{gateway.Resource.Name}-api-key"))
            .WithEnvironment("Microservices__RateLimiter__ApiKey", applicationKey)
            .WithEnvironment("Microservices__LogCollector__ApiKey", applicationKey);
    }
}
