using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.TestSupport;
using CacheNodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Tests;

public sealed partial class CacheNodeGrpcTests : IDisposable
{
    private readonly GrpcServiceApp<Program> _app = new(new()
    {
        ["CacheNode:NodeName"] = "cache-node-test",
        ["CacheNode:MaxValueBytes"] = "1024",
        ["CacheNode:MaxBytes"] = "1048576",
    });

    private readonly CacheNodeClient _client;

    public CacheNodeGrpcTests() => _client = new CacheNodeClient(_app.Channel);

    public void Dispose() => _app.Dispose();

    private static Cache.V1.Version V(long timestamp, string writer = "gw-a") => new() { Timestamp = timestamp, Writer = writer };

    private static Entry TextEntry(string key, string text, long timestamp) => new()
    {
        Key = key,
        Value = ByteString.CopyFromUtf8(text),
        Kind = ValueKind.Text,
        Version = V(timestamp),
    };

    [Fact]
    public async Task PutThenGetReturnsTheEntryWithItsHashAndVersion()
    {
        var put = await _client.PutAsync(new PutRequest { Entry = TextEntry("user:1", "hello", 100) });
        Assert.True(put.Applied);
        Assert.Equal(100, put.Current.Timestamp);

        var get = await _client.GetAsync(new GetRequest { Key = "user:1" });
        Assert.True(get.Found);
        Assert.Equal("hello", get.Entry.Value.ToStringUtf8());
        Assert.Equal(ValueKind.Text, get.Entry.Kind);
        Assert.Equal(KeyHash.Of("user:1"), get.Entry.KeyHash);
        Assert.Null(get.Entry.ExpiresAt);
    }

    [Fact]
    public async Task MissIsFoundFalseNotAnError()
    {
        var get = await _client.GetAsync(new GetRequest { Key = "absent" });
        Assert.False(get.Found);
        Assert.Null(get.Entry);
    }

    [Fact]
    public async Task OlderPutIsNotAppliedAndReportsTheStoredVersion()
    {
        await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "new", 200) });
        var old = await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "old", 100) });

        Assert.False(old.Applied);
        Assert.False(old.NoRoom);
        Assert.Equal(200, old.Current.Timestamp);
        Assert.Equal("new", (await _client.GetAsync(new GetRequest { Key = "k" })).Entry.Value.ToStringUtf8());
    }

    [Fact]
    public async Task DeleteWritesATombstoneThatHidesTheKeyAndBlocksOlderWrites()
    {
        await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "v", 100) });
        var delete = await _client.DeleteAsync(new DeleteRequest { Key = "k", Version = V(300) });
        Assert.True(delete.Applied);

        Assert.False((await _client.GetAsync(new GetRequest { Key = "k" })).Found);
        Assert.Null((await _client.GetAsync(new GetRequest { Key = "k" })).Entry);
        var withTombstone = await _client.GetAsync(new GetRequest { Key = "k", IncludeTombstone = true });
        Assert.False(withTombstone.Found);
        Assert.True(withTombstone.Entry.Tombstone);
        Assert.Equal(300, withTombstone.Entry.Version.Timestamp);
        Assert.False((await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "late", 200) })).Applied);

        var stats = await _client.GetStatsAsync(new GetStatsRequest());
        Assert.Equal(1UL, stats.Tombstones);
        Assert.Equal(0UL, stats.Entries);
    }

    [Fact]
    public async Task EntryExpiresAtItsExpiryTime()
    {
        var entry = TextEntry("k", "v", 1);
        entry.ExpiresAt = Timestamp.FromDateTimeOffset(_app.Time.GetUtcNow().AddSeconds(10));
        await _client.PutAsync(new PutRequest { Entry = entry });

        var before = await _client.GetAsync(new GetRequest { Key = "k" });
        Assert.Equal(entry.ExpiresAt.ToDateTimeOffset().ToUnixTimeMilliseconds(), before.Entry.ExpiresAt.ToDateTimeOffset().ToUnixTimeMilliseconds());

        _app.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.False((await _client.GetAsync(new GetRequest { Key = "k" })).Found);
    }

    [Fact]
    public async Task MultiGetAndMultiPutAnswerInRequestOrder()
    {
        var put = await _client.MultiPutAsync(new MultiPutRequest
        {
            Entries = { TextEntry("a", "1", 10), TextEntry("b", "2", 10), TextEntry("a", "older", 5) },
        });
        Assert.Equal([true, true, false], put.Results.Select(r => r.Applied));

        var get = await _client.MultiGetAsync(new MultiGetRequest { Keys = { "b", "missing", "a" } });
        Assert.Equal(["2", null, "1"], get.Results.Select(r => r.Found ? r.Entry.Value.ToStringUtf8() : null));
    }

    [Fact]
    public async Task ScanStreamsPagesOfTheEntriesInRange()
    {
        var keys = Enumerable.Range(0, 50).Select(i => $"scan-{i}").ToArray();
        var batch = new MultiPutRequest();
        batch.Entries.AddRange(keys.Select(k => TextEntry(k, "v", 1)));
        await _client.MultiPutAsync(batch);
        await _client.DeleteAsync(new DeleteRequest { Key = "scan-0", Version = V(2) });

        var range = new HashRange { Start = ulong.MaxValue / 2, End = ulong.MaxValue / 4 };
        var expected = keys.Where(k => new Store.HashRange(range.Start, range.End).Contains(KeyHash.Of(k))).ToHashSet();

        using var call = _client.Scan(new ScanRequest { Ranges = { range }, PageSize = 7 });
        var pages = new List<ScanResponse>();
        await foreach (var page in call.ResponseStream.ReadAllAsync())
        {
            pages.Add(page);
        }

        Assert.All(pages.SkipLast(1), p => Assert.Equal(7, p.Entries.Count));
        var seen = pages.SelectMany(p => p.Entries).ToList();
        Assert.Equal(expected, seen.Select(e => e.Key).ToHashSet());
        Assert.Equal(expected.Count, seen.Count);
        Assert.Equal(expected.Contains("scan-0"), seen.Any(e => e.Tombstone));
    }

    [Fact]
    public async Task ScanLiveOnlyLeavesTombstonesOut()
    {
        await _client.PutAsync(new PutRequest { Entry = TextEntry("live", "v", 1) });
        await _client.DeleteAsync(new DeleteRequest { Key = "gone", Version = V(1) });

        using var call = _client.Scan(new ScanRequest { LiveOnly = true });
        var keys = new List<string>();
        await foreach (var page in call.ResponseStream.ReadAllAsync())
        {
            keys.AddRange(page.Entries.Select(e => e.Key));
        }

        Assert.Equal(["live"], keys);
    }

    [Fact]
    public async Task GetStatsReportsTheNodeAndItsCounters()
    {
        await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "v", 1) });
        await _client.GetAsync(new GetRequest { Key = "k" });
        await _client.GetAsync(new GetRequest { Key = "nope" });

        var stats = await _client.GetStatsAsync(new GetStatsRequest());
        Assert.Equal("cache-node-test", stats.Node);
        Assert.Equal(1UL, stats.Entries);
        Assert.Equal(1UL, stats.Hits);
        Assert.Equal(1UL, stats.Misses);
        Assert.Equal(1048576UL, stats.MaxBytes);
        Assert.True(stats.Bytes > 0);
    }

    public static TheoryData<PutRequest, string> InvalidPuts => new()
    {
        { new PutRequest(), "entry is required" },
        { new PutRequest { Entry = TextEntry("", "v", 1) }, "entry.key must not be empty" },
        { new PutRequest { Entry = TextEntry(new string('k', 315), "v", 1) }, "entry.key must be at most 314 UTF-8 bytes, got 315" },
        { new PutRequest { Entry = TextEntry("k", new string('v', 1025), 1) }, "entry.value must be at most 1024 bytes (CacheNode:MaxValueBytes), got 1025" },
        { new PutRequest { Entry = new Entry { Key = "k", Value = ByteString.CopyFromUtf8("v") } }, "entry.version is required" },
        { new PutRequest { Entry = new Entry { Key = "k", Version = new Cache.V1.Version { Timestamp = 0, Writer = "w" } } }, "entry.version.timestamp must be positive" },
        { new PutRequest { Entry = new Entry { Key = "k", Version = new Cache.V1.Version { Timestamp = 1 } } }, "entry.version.writer must be 1 to 100 characters" },
        { new PutRequest { Entry = new Entry { Key = "k", Version = V(1), Kind = (ValueKind)9 } }, "entry.kind must be VALUE_KIND_TEXT or VALUE_KIND_BINARY" },
        { new PutRequest { Entry = new Entry { Key = "k", Version = V(1), Tombstone = true, Value = ByteString.CopyFromUtf8("x") } }, "entry.value must be empty for a tombstone" },
        { new PutRequest { Entry = new Entry { Key = "k", Version = V(1), ExpiresAt = new Timestamp { Seconds = 253402300800 } } }, ExpiryRange },
        { new PutRequest { Entry = new Entry { Key = "k", Version = V(1), ExpiresAt = new Timestamp { Seconds = -62135596801 } } }, ExpiryRange },
        { new PutRequest { Entry = new Entry { Key = "k", Version = V(1), ExpiresAt = new Timestamp { Seconds = 1, Nanos = -1 } } }, ExpiryRange },
        { new PutRequest { Entry = new Entry { Key = "k", Version = V(1), ExpiresAt = new Timestamp { Seconds = 1, Nanos = 1_000_000_000 } } }, ExpiryRange },
        { new PutRequest { Entry = TextEntry("k", "v", long.MaxValue) }, "more than the maximum clock offset of 500 ms (CacheNode:MaxClockOffset)" },
    };

    private const string ExpiryRange =
        "entry.expires_at must be a timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (seconds -62135596800 to 253402300799, nanos 0 to 999999999)";

    [Theory]
    [MemberData(nameof(InvalidPuts))]
    public async Task PutRejectsInvalidInputNamingTheField(PutRequest request, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.PutAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0UL, (await _client.GetStatsAsync(new GetStatsRequest())).Bytes);
    }

    [Fact]
    public async Task GetAndDeleteRejectInvalidInput()
    {
        var get = await Assert.ThrowsAsync<RpcException>(() => _client.GetAsync(new GetRequest { Key = "" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, get.StatusCode);

        var delete = await Assert.ThrowsAsync<RpcException>(() => _client.DeleteAsync(new DeleteRequest { Key = "k" }).ResponseAsync);
        Assert.Equal("version is required", delete.Status.Detail);
    }

    [Fact]
    public async Task AnInvalidItemInAMultiPutIsRefusedOnItsOwnAndTheOthersAreWritten()
    {
        var batch = new MultiPutRequest
        {
            Entries = { TextEntry("a", "1", 1), TextEntry("", "2", 1), TextEntry("c", "3", long.MaxValue), TextEntry("d", "4", 1) },
        };

        var reply = await _client.MultiPutAsync(batch);

        Assert.Equal([true, false, false, true], reply.Results.Select(r => r.Applied));
        Assert.Equal("", reply.Results[0].Error);
        Assert.Equal("entries[1].key must not be empty", reply.Results[1].Error);
        Assert.StartsWith("entries[2].version.timestamp is ", reply.Results[2].Error, StringComparison.Ordinal);
        Assert.True((await _client.GetAsync(new GetRequest { Key = "a" })).Found);
        Assert.False((await _client.GetAsync(new GetRequest { Key = "c" })).Found);
        Assert.True((await _client.GetAsync(new GetRequest { Key = "d" })).Found);
    }

    [Fact]
    public async Task AnInvalidKeyInAMultiGetIsNamedByItsPosition()
    {
        var empty = await Assert.ThrowsAsync<RpcException>(() => _client.MultiGetAsync(new MultiGetRequest { Keys = { "a", "" } }).ResponseAsync);
        Assert.Equal("keys[1] must not be empty", empty.Status.Detail);

        var tooLong = await Assert.ThrowsAsync<RpcException>(() =>
            _client.MultiGetAsync(new MultiGetRequest { Keys = { "a", "b", new string('é', 158) } }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
        Assert.Equal("keys[2] must be at most 314 UTF-8 bytes, got 316", tooLong.Status.Detail);
    }

    [Fact]
    public async Task BatchesAreLimitedToOneThousandItems()
    {
        var get = new MultiGetRequest();
        get.Keys.AddRange(Enumerable.Range(0, 1001).Select(i => $"k{i}"));
        var getError = await Assert.ThrowsAsync<RpcException>(() => _client.MultiGetAsync(get).ResponseAsync);
        Assert.Equal("keys must hold 1 to 1000 items, got 1001", getError.Status.Detail);

        var putError = await Assert.ThrowsAsync<RpcException>(() => _client.MultiPutAsync(new MultiPutRequest()).ResponseAsync);
        Assert.Equal("entries must hold 1 to 1000 items, got 0", putError.Status.Detail);

        var scanError = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = _client.Scan(new ScanRequest { PageSize = 1001 });
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.InvalidArgument, scanError.StatusCode);
    }

    [Fact]
    public async Task EntryLargerThanTheMemoryLimitIsResourceExhausted()
    {
        using var app = new GrpcServiceApp<Program>(new()
        {
            ["CacheNode:NodeName"] = "small",
            ["CacheNode:MaxBytes"] = "65536",
            ["CacheNode:MaxValueBytes"] = "100000",
        });
        var client = new CacheNodeClient(app.Channel);
        var entry = new Entry { Key = "big", Value = ByteString.CopyFrom(new byte[70_000]), Version = V(1) };

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(new PutRequest { Entry = entry }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("CacheNode:MaxBytes", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingNodeNameStopsTheNodeAtStart()
    {
        var error = StartupFailure.Of(() =>
        {
            using var app = new GrpcServiceApp<Program>(new() { ["CacheNode:NodeName"] = "" });
            _ = app.Channel;
        });
        Assert.Contains("NodeName", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BinaryValuesRoundTripByteForByte()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await _client.PutAsync(new PutRequest { Entry = new Entry { Key = "bin", Value = ByteString.CopyFrom(bytes), Kind = ValueKind.Binary, Version = V(1) } });
        var get = await _client.GetAsync(new GetRequest { Key = "bin" });
        Assert.Equal(bytes, get.Entry.Value.ToByteArray());
        Assert.Equal(ValueKind.Binary, get.Entry.Kind);
    }
}
