using Grpc.Core;
using Microservices.RateLimit.V1;
using Microservices.TestSupport;

namespace Microservices.RateLimiter.Tests;

public sealed class ClusterKeyTests : IDisposable
{
    private const string ClusterKey = "cluster-key-for-tests";
    private const string ApplicationKey = "an-application-key";

    private readonly GrpcServiceApp<Program> _app = new(new()
    {
        ["ClusterAuth:Key"] = ClusterKey,
        ["ClusterAuth:ApplicationKeys:0"] = "another-application-key",
        ["ClusterAuth:ApplicationKeys:1"] = ApplicationKey,
    });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task EveryRpcRefusesACallerWithoutAKey()
    {
        var outcomes = await EveryRpc.SendAsync(_app.Channel, headers: null, EveryRpc.EmptyBody, RateLimit.V1.RateLimiter.Descriptor);

        Assert.All(outcomes, o => Assert.True(
            o.Code == StatusCode.Unauthenticated && o.Detail.StartsWith("this internal service needs the cluster key in the x-cluster-key metadata, or an application key in x-api-key", StringComparison.Ordinal),
            o.ToString()));
    }

    [Fact]
    public async Task TheClusterKeyAndEachApplicationKeyOpenTheLimiterAndAWrongKeyIsUnknown()
    {
        var client = new RateLimit.V1.RateLimiter.RateLimiterClient(_app.Channel);
        var request = new AcquireRequest { Key = "k" };
        Assert.True((await client.AcquireAsync(request, new Metadata { { "x-cluster-key", ClusterKey } })).Allowed);
        Assert.True((await client.AcquireAsync(request, new Metadata { { "x-api-key", ApplicationKey } })).Allowed);

        var wrongApplication = await Assert.ThrowsAsync<RpcException>(() =>
            client.AcquireAsync(request, new Metadata { { "x-api-key", ApplicationKey[..^1] } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrongApplication.StatusCode);
        Assert.StartsWith("unknown application key", wrongApplication.Status.Detail, StringComparison.Ordinal);

        var wrongCluster = await Assert.ThrowsAsync<RpcException>(() =>
            client.AcquireAsync(request, new Metadata { { "x-cluster-key", ApplicationKey } }).ResponseAsync);
        Assert.StartsWith("unknown cluster key", wrongCluster.Status.Detail, StringComparison.Ordinal);
    }
}
