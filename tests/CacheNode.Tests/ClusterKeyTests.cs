using Grpc.Core;
using Grpc.Health.V1;
using Microservices.Cache.V1;
using Microservices.TestSupport;
using Microsoft.Extensions.Options;
using CacheNodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;

namespace Microservices.CacheNode.Tests;

public sealed class ClusterKeyTests : IDisposable
{
    private const string ClusterKey = "cluster-key-for-tests";
    private const string ApplicationKey = "an-application-key";

    private readonly GrpcServiceApp<Program> _app = new(new()
    {
        ["ClusterAuth:Key"] = ClusterKey,
        ["ClusterAuth:ApplicationKeys:0"] = ApplicationKey,
    });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task EveryRpcRefusesACallerWithoutTheClusterKey()
    {
        var outcomes = await EveryRpc.SendAsync(_app.Channel, headers: null, EveryRpc.EmptyBody, Cache.V1.CacheNode.Descriptor);

        Assert.All(outcomes, o => Assert.True(
            o.Code == StatusCode.Unauthenticated && o.Detail.StartsWith("this internal service needs the cluster key in the x-cluster-key metadata", StringComparison.Ordinal),
            o.ToString()));
    }

    [Fact]
    public async Task AWrongKeyIsUnknownAndAnApplicationKeyOpensNothingOnANode()
    {
        var wrong = await EveryRpc.SendAsync(_app.Channel, new Metadata { { "x-cluster-key", ClusterKey + "x" } }, EveryRpc.EmptyBody, Cache.V1.CacheNode.Descriptor);
        Assert.All(wrong, o => Assert.True(o.Code == StatusCode.Unauthenticated && o.Detail.StartsWith("unknown cluster key", StringComparison.Ordinal), o.ToString()));

        var application = await EveryRpc.SendAsync(_app.Channel, new Metadata { { "x-api-key", ApplicationKey } }, EveryRpc.EmptyBody, Cache.V1.CacheNode.Descriptor);
        Assert.All(application, o => Assert.Equal(StatusCode.Unauthenticated, o.Code));
    }

    [Fact]
    public async Task TheClusterKeyOpensTheNodeAndHealthNeedsNoKey()
    {
        var node = new CacheNodeClient(_app.Channel);
        var withKey = new Metadata { { "x-cluster-key", ClusterKey } };
        await node.PutAsync(new PutRequest { Entry = new Entry { Key = "k", Value = Google.Protobuf.ByteString.CopyFromUtf8("v"), Version = new Cache.V1.Version { Timestamp = 1, Writer = "w" } } }, withKey);
        Assert.True((await node.GetAsync(new GetRequest { Key = "k" }, withKey)).Found);

        var health = await new Health.HealthClient(_app.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public void ANodeWithoutAKeyStartsOutsideDevelopmentOnlyWhenOpenedOnPurpose()
    {
        var refused = StartupFailure.Of(() =>
        {
            using var closed = new GrpcServiceApp<Program>(new() { ["environment"] = "Production" });
            _ = closed.Channel;
        });
        Assert.Contains("ClusterAuth:Key must be set outside Development", (refused as OptionsValidationException ?? refused.InnerException)?.Message, StringComparison.Ordinal);

        using var open = new GrpcServiceApp<Program>(new() { ["environment"] = "Production", ["ClusterAuth:AllowAnonymous"] = "true" });
        Assert.NotNull(open.Channel);
    }
}
