using Aspire.Hosting.ApplicationModel;
using Google.Protobuf;
using Microservices.Cache.V1;
using CacheNodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;

namespace Microservices.SystemTests;

[Collection(AppHostTests.Name)]
public sealed class CacheNodeSystemTests(AppHostFixture fixture)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("cache-node-1")]
    [InlineData("cache-node-2")]
    [InlineData("cache-node-3")]
    public async Task EachNodeStoresAndReturnsAnEntryAndKnowsItsName(string node)
    {
        var client = new CacheNodeClient(fixture.Channel(node));
        var key = $"system-{Guid.NewGuid():N}";
        var entry = new Entry
        {
            Key = key,
            Value = ByteString.CopyFromUtf8("hello"),
            Kind = ValueKind.Text,
            Version = new Cache.V1.Version { Timestamp = 1, Writer = "system-test" },
        };

        var put = await client.PutAsync(new PutRequest { Entry = entry }).ResponseAsync.WaitAsync(CallTimeout);
        var get = await client.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(CallTimeout);
        var stats = await client.GetStatsAsync(new GetStatsRequest()).ResponseAsync.WaitAsync(CallTimeout);

        Assert.True(put.Applied);
        Assert.Equal("hello", get.Entry.Value.ToStringUtf8());
        Assert.Equal(node, stats.Node);
    }

    [Fact]
    public void SpareNodeDoesNotStartWithTheRest()
    {
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("cache-node-4", out var state));
        Assert.Equal(KnownResourceStates.NotStarted, state.Snapshot.State?.Text);
    }
}
