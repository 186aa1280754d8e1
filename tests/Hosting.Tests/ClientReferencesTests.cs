namespace Microservices.Hosting.Tests;

/// <summary>WithMicroservicesReferences: what an application using the client package is given.</summary>
public sealed class ClientReferencesTests
{
    [Fact]
    public async Task AnApplicationFindsTheGatewayTheLimiterAndTheCollectorAndGetsItsKeys()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = [], DisableDashboard = true });
        var gateway = builder.AddMicroservicesCluster("edge", MicroservicesProjects.FromSource(ClusterModelTests.RepositoryRoot), nodes: 1);
        var app = builder.AddProject("shop", Path.Combine(ClusterModelTests.RepositoryRoot, "samples/WebApi/WebApi.csproj"), launchProfileName: null);

        app.WithMicroservicesReferences(gateway);

        // In publish mode every value is the expression it stands for: a parameter's or an endpoint's.
        using var model = builder.Build();
        var publish = new DistributedApplicationExecutionContext(
            new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Publish) { Services = model.Services });
        var environment = (await ExecutionConfigurationBuilder.Create(app.Resource).WithEnvironmentVariablesConfig().BuildAsync(publish))
            .EnvironmentVariables.ToDictionary();
        Assert.Equal("{edge.bindings.http.url}", environment["services__edge__http__0"]);
        Assert.Equal("{ratelimiter.bindings.http.url}", environment["services__ratelimiter__http__0"]);
        Assert.Equal("{logcollector.bindings.http.url}", environment["services__logcollector__http__0"]);
        Assert.Equal("{edge-api-key.value}", environment["Microservices__Cache__ApiKey"]);
        Assert.Equal("{application-key.value}", environment["Microservices__RateLimiter__ApiKey"]);
        Assert.Equal("{application-key.value}", environment["Microservices__LogCollector__ApiKey"]);
        Assert.Contains(app.Resource.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == gateway.Resource);
    }

    [Fact]
    public void WithoutTheClusterTheApplicationCannotBeWired()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = [], DisableDashboard = true });
        var gateway = builder.AddProject("edge", Path.Combine(ClusterModelTests.RepositoryRoot, "services/Gateway/Gateway.csproj"), launchProfileName: null);
        var app = builder.AddProject("shop", Path.Combine(ClusterModelTests.RepositoryRoot, "samples/WebApi/WebApi.csproj"), launchProfileName: null);

        var error = Assert.Throws<InvalidOperationException>(() => app.WithMicroservicesReferences(gateway));

        Assert.Contains("call AddMicroservicesCluster", error.Message, StringComparison.Ordinal);
    }
}
