using Grpc.Core;
using Microservices.Gateway.V1;
using Microservices.Gateway.Membership;
using Microsoft.Extensions.Configuration;

namespace Microservices.Gateway.Tests;

/// <summary>Admin calls at their edges: nodes that are not there, names and addresses taken twice, the last node.</summary>
public sealed class ClusterAdminTests : IDisposable
{
    private static readonly string[] Nodes = ["node-1", "node-2", "node-3"];
    private readonly GatewayCluster _cluster = new(nodes: 3, spares: 1);

    public void Dispose() => _cluster.Dispose();

    public static TheoryData<string, string, string> BadNodes => new()
    {
        { "", "http://node-4", "name" },
        { new string('n', 101), "http://node-4", "name" },
        { "node 4", "http://node-4", "name" },
        { "node/4", "http://node-4", "name" },
        { "node-4", "", "address" },
        { "node-4", "node-4:5000", "address" },
        { "node-4", "ftp://node-4", "address" },
        { "node-4", "http://user:secret@node-4", "address" },
        { "node-4", "http://node-4/some/path", "address" },
        { "node-4", "http://node-4/?x=1", "address" },
        { "node-4", $"http://{new string('n', 300)}", "address" },
    };

    [Theory]
    [MemberData(nameof(BadNodes))]
    public async Task AddNodeRefusesABadNameOrAddressNamingTheField(string name, string address, string field)
    {
        var before = await TopologyAsync();

        var error = await ErrorOfAsync(_cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = name, Address = address }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await TopologyAsync());
    }

    [Theory]
    [InlineData("node-4", "http://node-4")]
    [InlineData("ghost-1", "http://127.0.0.1:1")]
    public async Task AddNodeRefusesANodeThatDoesNotAnswerAndChangesNothing(string name, string address)
    {
        _cluster.Links["node-4"].Down = true;
        var before = await TopologyAsync();

        var error = await ErrorOfAsync(_cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = name, Address = address }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("address", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await TopologyAsync());
    }

    [Fact]
    public async Task AddNodeRefusesAServiceThatIsNotACacheNode()
    {
        _cluster.AddLimiterAddress("limiter");

        var error = await ErrorOfAsync(_cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://limiter" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.StartsWith("address", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(["node-1", "node-2", "node-3"], (await TopologyAsync()).Select(n => n.Name));
    }

    [Theory]
    [InlineData("node-1", "http://node-4")]
    [InlineData("alias-1", "http://node-1")]
    [InlineData("alias-1", "HTTP://Node-1:80/")]
    [InlineData("alias-1", "http://node-1-alias")]
    public async Task AddNodeRefusesASecondNameOrAddressForANodeInTheRing(string name, string address)
    {
        _cluster.AddAlias("node-1-alias", "node-1");
        var before = await TopologyAsync();

        var error = await ErrorOfAsync(_cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = name, Address = address }).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Equal(before, await TopologyAsync());
    }

    [Fact]
    public async Task TheLastNodeCanNeitherFailNorLeave()
    {
        var cluster = _cluster.Cluster();
        await cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-1" });
        await cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-2" });

        var failure = await ErrorOfAsync(cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-3" }).ResponseAsync);
        var removal = await ErrorOfAsync(cluster.RemoveNodeAsync(new RemoveNodeRequest { Name = "node-3" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, removal.StatusCode);
        Assert.Equal(["node-3"], (await TopologyAsync()).Select(n => n.Name));
        var put = await _cluster.Cache(GatewayCluster.AlphaKey).PutAsync(new PutRequest { Key = "k", Text = "v", Consistency = V1.Consistency.One });
        Assert.Equal(["node-3"], put.AcknowledgedBy);
    }

    [Fact]
    public async Task ANodeThatIsNotThereOrAlreadyGoneIsNotFound()
    {
        var cluster = _cluster.Cluster();
        await cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-1" });

        Assert.Equal(StatusCode.NotFound, (await ErrorOfAsync(cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-1" }).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await ErrorOfAsync(cluster.RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" }).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await ErrorOfAsync(cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-9" }).ResponseAsync)).StatusCode);
        Assert.Equal(["node-2", "node-3"], (await TopologyAsync()).Select(n => n.Name));
    }

    [Fact]
    public async Task ConcurrentFailuresOfEveryNodeRunOneAtATimeAndTheLastNodeStays()
    {
        var cluster = _cluster.Cluster();
        var outcomes = await Task.WhenAll(Nodes.Select(async name =>
        {
            try
            {
                await cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = name });
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }));

        Assert.Equal([StatusCode.OK, StatusCode.OK, StatusCode.FailedPrecondition], outcomes.Order());
        Assert.Single(await TopologyAsync());
    }

    [Theory]
    [InlineData("Gateway:Nodes:1:Address", "HTTP://NODE-1:80", "Gateway:Nodes:1:Address")]
    [InlineData("Gateway:Nodes:2:Name", "node 3", "Gateway:Nodes:2:Name")]
    [InlineData("Gateway:Nodes:0:Address", "http://node-1/path", "Gateway:Nodes:0:Address")]
    [InlineData("Gateway:Nodes:1:Weight", "0", "Gateway:Nodes:1:Weight must be an integer from 1 to 100, got 0")]
    [InlineData("Gateway:Nodes:2:Weight", "101", "Gateway:Nodes:2:Weight must be an integer from 1 to 100, got 101")]
    public void ConfiguredNodesFollowTheSameRulesAtStart(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < 3; i++)
        {
            settings[$"Gateway:Nodes:{i}:Name"] = $"node-{i + 1}";
            settings[$"Gateway:Nodes:{i}:Address"] = $"http://node-{i + 1}";
        }

        settings[key] = value;
        var options = new ConfigurationBuilder().AddInMemoryCollection(settings).Build()
            .GetSection(GatewayOptions.Section).Get<GatewayOptions>()!;
        using var cluster = new GatewayCluster(nodes: 3, settings: new() { [key] = value });

        var result = new ConfiguredNodesValidator().Validate(null, options);

        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);

        // The gateway does not start. (Its error is the validator's, unless the test host loses the race to report
        // it and throws ObjectDisposedException instead, which is why the message is checked on the validator.)
        Assert.ThrowsAny<Exception>(() => cluster.GatewayServices);
    }

    [Fact]
    public async Task AKeptTopologyThatBreaksTheRulesIsIgnored()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "topology.json"), """
                {"epoch":"run-1","nodes":[{"name":"node-1","address":"http://node-1"},{"name":"alias","address":"http://node-1"}]}
                """);
            using var cluster = new GatewayCluster(nodes: 3, settings: new() { ["Gateway:DataPath"] = folder, ["Gateway:ClusterEpoch"] = "run-1" });

            var topology = await cluster.Cluster().GetTopologyAsync(new GetTopologyRequest());

            Assert.Equal(["node-1", "node-2", "node-3"], topology.Topology.Nodes.Select(n => n.Name));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<List<(string Name, string Address, double Ownership)>> TopologyAsync()
    {
        var topology = await _cluster.Cluster().GetTopologyAsync(new GetTopologyRequest());
        return [.. topology.Topology.Nodes.Select(n => (n.Name, n.Address, n.Ownership))];
    }

    private static async Task<RpcException> ErrorOfAsync<T>(Task<T> call) => await Assert.ThrowsAsync<RpcException>(() => call);
}
