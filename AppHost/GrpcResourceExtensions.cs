using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microservices.AppHost;

/// <summary>Declares a gRPC service project in the application model.</summary>
internal static class GrpcResourceExtensions
{
    /// <summary>The endpoint name every service exposes (the default name, so http://&lt;resource&gt; resolves to it).</summary>
    public const string EndpointName = "http";

    /// <summary>
    /// Adds a service project with one h2c endpoint named <see cref="EndpointName"/> on a fixed port, and a
    /// health check through grpc.health.v1, so the dashboard's Healthy and <c>WaitFor</c> mean "answers gRPC".
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddGrpcService<TProject>(
        this IDistributedApplicationBuilder builder, string name, int port)
        where TProject : IProjectMetadata, new()
    {
        var project = builder.AddProject<TProject>(name, launchProfileName: null)
            .WithHttpEndpoint(port: port, name: EndpointName);

        var endpoint = project.GetEndpoint(EndpointName);
        var checkName = $"{name}-grpc-health";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            checkName, _ => new GrpcHealthCheck(endpoint), failureStatus: null, tags: null));
        return project.WithHealthCheck(checkName);
    }

    /// <summary>Adds one cache node, named after its resource.</summary>
    public static IResourceBuilder<ProjectResource> AddCacheNode(this IDistributedApplicationBuilder builder, string name, int port) =>
        builder.AddGrpcService<Projects.CacheNode>(name, port)
            .WithEnvironment("CacheNode__NodeName", name);

    /// <summary>Gives the gateway the names and addresses of the nodes its ring starts with, and waits for them.</summary>
    public static IResourceBuilder<ProjectResource> WithRingNodes(
        this IResourceBuilder<ProjectResource> gateway, IEnumerable<IResourceBuilder<ProjectResource>> nodes)
    {
        var i = 0;
        foreach (var node in nodes)
        {
            gateway.WithEnvironment($"Gateway__Nodes__{i}__Name", node.Resource.Name)
                .WithEnvironment($"Gateway__Nodes__{i}__Address", node.GetEndpoint(EndpointName))
                .WaitFor(node);
            i++;
        }

        return gateway;
    }
}
