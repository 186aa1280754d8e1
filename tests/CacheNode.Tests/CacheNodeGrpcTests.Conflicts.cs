using Google.Protobuf;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.TestSupport;
using CacheNodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;

namespace Microservices.CacheNode.Tests;

/// <summary>Conflicts over gRPC: what a Put reports, and siblings carried by the entries a node returns and takes.</summary>
public sealed partial class CacheNodeGrpcTests
{
    private static Entry Sibling(string key, string text, long timestamp, string writer, bool keepSiblings = true) => new()
    {
        Key = key,
        Value = ByteString.CopyFromUtf8(text),
        Kind = ValueKind.Text,
        Version = V(timestamp, writer),
        KeepSiblings = keepSiblings,
    };

    [Fact]
    public async Task APutConcurrentWithTheStoredVersionReportsTheConflictAndTheVersionItMet()
    {
        await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "a", 100) });

        var won = await _client.PutAsync(new PutRequest { Entry = Sibling("k", "b", 200, "gw-b", keepSiblings: false) });
        var lost = await _client.PutAsync(new PutRequest { Entry = Sibling("k", "c", 150, "gw-c", keepSiblings: false) });

        Assert.True(won.Applied);
        Assert.Equal(ConflictOutcome.Won, won.Conflict);
        Assert.Equal(V(100), won.ConcurrentWith);
        Assert.False(lost.Applied);
        Assert.Equal(ConflictOutcome.Lost, lost.Conflict);
        Assert.Equal(200, lost.ConcurrentWith.Timestamp);
    }

    [Fact]
    public async Task SiblingsComeBackOnGetAndScanAndAnotherNodeTakesThemWhole()
    {
        await _client.PutAsync(new PutRequest { Entry = Sibling("k", "a", 100, "gw-a") });
        var kept = await _client.PutAsync(new PutRequest { Entry = Sibling("k", "b", 200, "gw-b") });
        Assert.Equal(ConflictOutcome.Sibling, kept.Conflict);

        var get = await _client.GetAsync(new GetRequest { Key = "k" });
        Assert.Equal("b", get.Entry.Value.ToStringUtf8());
        Assert.True(get.Entry.KeepSiblings);
        Assert.Equal("a", Assert.Single(get.Entry.Siblings).Value.ToStringUtf8());
        using var scan = _client.Scan(new ScanRequest());
        Assert.True(await scan.ResponseStream.MoveNext());
        var scanned = scan.ResponseStream.Current.Entries.Single();
        Assert.Equal(get.Entry, scanned);

        // A copy (rebalancing, repair) of the entry to a node that holds a third concurrent value keeps all three.
        await using var other = new GrpcServiceApp<Program>(new() { ["CacheNode:NodeName"] = "other" }, time: _app.Time);
        var otherClient = new CacheNodeClient(other.Channel);
        await otherClient.PutAsync(new PutRequest { Entry = Sibling("k", "c", 150, "gw-c") });
        await otherClient.PutAsync(new PutRequest { Entry = scanned });
        var merged = (await otherClient.GetAsync(new GetRequest { Key = "k" })).Entry;
        Assert.Equal(["b", "c", "a"], [merged.Value.ToStringUtf8(), .. merged.Siblings.Select(s => s.Value.ToStringUtf8())]);
    }

    [Fact]
    public async Task SiblingsOnATombstoneOrTooManyOrWithABadVersionAreRefusedNamingTheField()
    {
        var tombstone = new Entry { Key = "k", Version = V(100), Tombstone = true, Siblings = { new EntrySibling { Version = V(90) } } };
        var tooMany = Sibling("k", "v", 100, "gw-a");
        tooMany.Siblings.Add(Enumerable.Range(1, 8).Select(i => new EntrySibling { Value = ByteString.CopyFromUtf8("x"), Version = V(i, $"w{i}") }));
        var noVersion = Sibling("k", "v", 100, "gw-a");
        noVersion.Siblings.Add(new EntrySibling { Value = ByteString.CopyFromUtf8("x") });

        foreach (var (entry, message) in new[]
        {
            (tombstone, "entry.siblings must be empty for a tombstone"),
            (tooMany, "entry.siblings must hold at most 7 values, got 8"),
            (noVersion, "entry.siblings[0].version is required"),
        })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => _client.PutAsync(new PutRequest { Entry = entry }).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Equal(message, error.Status.Detail);
        }

        Assert.False((await _client.GetAsync(new GetRequest { Key = "k", IncludeTombstone = true })).Found);
    }
}
