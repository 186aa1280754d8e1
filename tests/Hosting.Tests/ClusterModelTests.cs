namespace Microservices.Hosting.Tests;

/// <summary>
/// The resources AddMicroservicesCluster adds to an application model, read from the model without starting it (the
/// repository's AppHost, which uses it, is started whole by tests/System.Tests).
/// </summary>
public sealed class ClusterModelTests
{
    internal static readonly string RepositoryRoot = FindRepositoryRoot();

    [Fact]
    public void AddsTheCollectorTheLimiterTheNodesAndTheGatewayByName()
    {
        var builder = NewBuilder();

        var gateway = builder.AddMicroservicesCluster("cache", MicroservicesProjects.FromSource(RepositoryRoot), nodes: 2);

        Assert.Equal("cache", gateway.Resource.Name);
        Assert.Equal(
            ["logcollector", "ratelimiter", "cache-node-1", "cache-node-2", "cache"],
            builder.Resources.OfType<ProjectResource>().Select(r => r.Name));
    }

    [Fact]
    public void FromSourceFindsTheServiceProjectsOfACheckout()
    {
        var builder = NewBuilder();

        builder.AddMicroservicesCluster("gateway", MicroservicesProjects.FromSource(RepositoryRoot), nodes: 1);

        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            var path = project.Annotations.OfType<IProjectMetadata>().Single().ProjectPath;
            Assert.True(File.Exists(path), $"{project.Name}: {path}");
        }
    }

    [Fact]
    public void FixedPortsFollowTheGatewaysAndEachHttp1PortIsItsGrpcPortPlus80()
    {
        var builder = NewBuilder();

        builder.AddMicroservicesCluster("gateway", MicroservicesProjects.FromSource(RepositoryRoot), nodes: 3, options =>
        {
            options.Port = 6100;
            options.SpareNode = true;
        });

        var ports = builder.Resources.OfType<ProjectResource>().ToDictionary(
            r => r.Name, r => r.Annotations.OfType<EndpointAnnotation>().Select(e => (e.Name, e.Port)).ToArray());
        Assert.Equal([("http", 6100), ("http1", 6180)], ports["gateway"]);
        Assert.Equal([("http", 6101), ("http1", 6181)], ports["ratelimiter"]);
        Assert.Equal([("http", 6102), ("http1", 6182)], ports["logcollector"]);
        Assert.Equal([("http", 6112), ("http1", 6192)], ports["cache-node-2"]);
        Assert.Equal([("http", 6114), ("http1", 6194)], ports["cache-node-4"]);
    }

    [Fact]
    public void WithoutAPortAspireChoosesEveryPort()
    {
        var builder = NewBuilder();

        builder.AddMicroservicesCluster("gateway", MicroservicesProjects.FromSource(RepositoryRoot));

        var endpoints = builder.Resources.OfType<ProjectResource>().SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()).ToArray();
        Assert.Equal(6 * 2, endpoints.Length);
        Assert.All(endpoints, e => Assert.Null(e.Port));
    }

    [Fact]
    public void EveryServiceHasAGrpcHealthCheck()
    {
        var builder = NewBuilder();

        builder.AddMicroservicesCluster("gateway", MicroservicesProjects.FromSource(RepositoryRoot));

        Assert.All(builder.Resources.OfType<ProjectResource>(), r =>
            Assert.Equal($"{r.Name}-grpc-health", r.Annotations.OfType<HealthCheckAnnotation>().Single().Key));
    }

    [Fact]
    public async Task ASecondGatewayHasItsOwnPortsWriterIdAndFolderAndTheSameKeysAndTenants()
    {
        var builder = NewBuilder();
        builder.Configuration["Parameters:gateway-tenants"] = "acme";

        builder.AddMicroservicesCluster("gateway", MicroservicesProjects.FromSource(RepositoryRoot), nodes: 3, options =>
        {
            options.Port = 6100;
            options.Gateways = 2;
        });

        var projects = builder.Resources.OfType<ProjectResource>().ToDictionary(r => r.Name);
        Assert.Equal([("http", 6105), ("http1", 6185)], projects["gateway-2"].Annotations.OfType<EndpointAnnotation>().Select(e => (e.Name, e.Port)));
        // Obsolete in favour of ExecutionConfigurationBuilder, which needs a running execution context; this reads
        // the model's values as expressions, which is all the comparison needs.
#pragma warning disable CS0618
        var first = await projects["gateway"].GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
        var second = await projects["gateway-2"].GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        Assert.Equal(("gateway", "gateway-2"), (first["Gateway__GatewayId"], second["Gateway__GatewayId"]));
        Assert.NotEqual(first["Gateway__DataPath"], second["Gateway__DataPath"]);
        Assert.All(["Security__ApiKeys__0__Key", "Security__AdminKeys__0", "Security__ApiKeys__1__Key", "Origin__Path", "Gateway__ClusterEpoch", "Gateway__Nodes__2__Address"],
            name => Assert.Equal(first[name], second[name]));
        Assert.Contains("show-topology", projects["gateway-2"].Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name));
    }

    [Fact]
    public void TheKeysAreSecretParametersNamedAfterTheGateway()
    {
        var builder = NewBuilder();

        builder.AddMicroservicesCluster("edge", MicroservicesProjects.FromSource(RepositoryRoot));

        var parameters = builder.Resources.OfType<ParameterResource>().ToDictionary(p => p.Name);
        Assert.All(["edge-api-key", "edge-admin-key", "cluster-key", "application-key"], name => Assert.True(parameters[name].Secret, name));
    }

    [Fact]
    public void AlertSinksAndExtraTenantsAreParametersWithTheirSecretsHidden()
    {
        var builder = NewBuilder();
        builder.Configuration["Parameters:edge-tenants"] = "acme, globex";

        builder.AddMicroservicesCluster("edge", MicroservicesProjects.FromSource(RepositoryRoot));

        var parameters = builder.Resources.OfType<ParameterResource>().ToDictionary(p => p.Name);
        Assert.All(["alert-webhook-url", "alert-smtp-password", "edge-tenant-acme-key", "edge-tenant-globex-key"],
            name => Assert.True(parameters[name].Secret, name));
        Assert.All(["alert-webhook-format", "alert-smtp-host", "alert-smtp-port", "alert-smtp-from", "alert-smtp-to"],
            name => Assert.False(parameters[name].Secret, name));
    }

    [Fact]
    public void NodesCanBeFailedTheGatewayShowsTheRingAndTheSpareStartsOnlyToJoin()
    {
        var builder = NewBuilder();

        builder.AddMicroservicesCluster("gateway", MicroservicesProjects.FromSource(RepositoryRoot), nodes: 3, options => options.SpareNode = true);

        var projects = builder.Resources.OfType<ProjectResource>().ToDictionary(r => r.Name);
        string[] Commands(string name) => [.. projects[name].Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name)];
        Assert.Contains("fail-node", Commands("cache-node-1"));
        Assert.Contains("fail-node", Commands("cache-node-3"));
        Assert.Contains("show-topology", Commands("gateway"));
        Assert.Contains("join-cluster", Commands("cache-node-4"));
        Assert.DoesNotContain("fail-node", Commands("cache-node-4"));
        Assert.Single(projects["cache-node-4"].Annotations.OfType<ExplicitStartupAnnotation>());
        Assert.Empty(projects["cache-node-3"].Annotations.OfType<ExplicitStartupAnnotation>());
    }

    [Fact]
    public void MoreNodesThanTheFixedPortSchemeHoldsAreRefused()
    {
        var builder = NewBuilder();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddMicroservicesCluster(
            "gateway", MicroservicesProjects.FromSource(RepositoryRoot), nodes: 9, options =>
            {
                options.Port = 6100;
                options.SpareNode = true;
            }));

        Assert.Contains("at most 9 nodes", error.Message);
    }

    // An application model only: nothing is started, so no orchestrator or dashboard is needed.
    private static IDistributedApplicationBuilder NewBuilder() =>
        DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = [], DisableDashboard = true });

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Microservices.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Microservices.sln not found above the test's directory");
    }
}
