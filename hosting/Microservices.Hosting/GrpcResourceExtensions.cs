using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microservices.Hosting;

/// <summary>Declares a gRPC service project in the application model.</summary>
internal static class GrpcResourceExtensions
{
    /// <summary>The endpoint name every service exposes (the default name, so http://&lt;resource&gt; resolves to it).</summary>
    public const string EndpointName = "http";

    /// <summary>The name of each service's HTTP/1.1 endpoint (curl, HTTP health probes: /health, /alive).</summary>
    public const string Http1EndpointName = "http1";

    /// <summary>
    /// Adds a service project with one h2c endpoint named <see cref="EndpointName"/> on <paramref name="port"/> (null:
    /// chosen by Aspire) and one HTTP/1.1 endpoint named <see cref="Http1EndpointName"/>, a health check through
    /// grpc.health.v1 (so the dashboard's Healthy and the start order mean "answers gRPC"), and the cluster key, which
    /// it sends to the internal services and, if it is one, requires of its callers.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddGrpcService(
        this IDistributedApplicationBuilder builder, string name, MicroservicesProject project, int? port, IResourceBuilder<ParameterResource> clusterKey)
    {
        var service = project.Add(builder, name)
            .WithHttpEndpoint(port: port, name: EndpointName)
            .WithHttpEndpoint(port: ClusterPorts.Http1(port), name: Http1EndpointName)
            .WithEnvironment("ClusterAuth__Key", clusterKey)
            // The OTLP exporters (dashboard, log collector) retry transient failures within their export timeout.
            .WithEnvironment("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", "in_memory");

        // The service's own port (behind Aspire's proxy) that speaks HTTP/1.1; its others speak HTTP/2 only.
        var http1 = service.GetEndpoint(Http1EndpointName);
        service.WithEnvironment("Http1__Port", ReferenceExpression.Create($"{http1.Property(EndpointProperty.TargetPort)}"));

        var endpoint = service.GetEndpoint(EndpointName);
        var checkName = $"{name}-grpc-health";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            checkName, _ => new GrpcHealthCheck(endpoint), failureStatus: null, tags: null));
        return service.WithHealthCheck(checkName);
    }

    /// <summary>Adds one cache node, named after its resource.</summary>
    public static IResourceBuilder<ProjectResource> AddCacheNode(
        this IDistributedApplicationBuilder builder, string name, MicroservicesProject project, int? port, IResourceBuilder<ParameterResource> clusterKey) =>
        builder.AddGrpcService(name, project, port, clusterKey)
            .WithEnvironment("CacheNode__NodeName", name);

    /// <summary>Lets applications call this service with their own key (x-api-key), not the cluster's.</summary>
    public static IResourceBuilder<ProjectResource> WithApplicationKey(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<ParameterResource> applicationKey) =>
        service.WithEnvironment("ClusterAuth__ApplicationKeys__0", applicationKey);

    /// <summary>
    /// Gives the gateway the names and addresses of the nodes its ring starts with. Each start of the gateway waits
    /// until they answer their health checks, except a node that is stopped (failed from the dashboard, say): the
    /// gateway starts with the ring it has.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRingNodes(
        this IResourceBuilder<ProjectResource> gateway, IEnumerable<IResourceBuilder<ProjectResource>> nodes)
    {
        var i = 0;
        foreach (var node in nodes)
        {
            gateway.WithEnvironment($"Gateway__Nodes__{i}__Name", node.Resource.Name)
                .WithEnvironment($"Gateway__Nodes__{i}__Address", node.GetEndpoint(EndpointName))
                .WaitForHealthyUnlessStopped(node);
            i++;
        }

        return gateway;
    }
}
