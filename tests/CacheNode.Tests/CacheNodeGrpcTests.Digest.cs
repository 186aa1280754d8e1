using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Tests;

/// <summary>The Digest RPC: its answer's shape, and bad input refused before any work.</summary>
public sealed partial class CacheNodeGrpcTests
{
    private static DigestRequest DigestOf(int ranges, uint splits)
    {
        var request = new DigestRequest { Splits = splits };
        for (var i = 0; i < ranges; i++)
        {
            request.Ranges.Add(new HashRange { Start = (ulong)i * 1000, End = ((ulong)i * 1000) + 1000 });
        }

        return request;
    }

    [Fact]
    public async Task DigestAnswersOneDigestPerSubRangeCountingTheEntriesInIt()
    {
        var now = HybridTime.FromWallMilliseconds(_app.Time.GetUtcNow().ToUnixTimeMilliseconds());
        for (var i = 0; i < 50; i++)
        {
            await _client.PutAsync(new PutRequest { Entry = TextEntry($"digest-{i}", "v", now) });
        }

        var whole = await _client.DigestAsync(new DigestRequest { Ranges = { new HashRange() }, Splits = 8 });
        Assert.Equal(8, whole.Digests.Count);
        Assert.Equal(50UL, whole.Digests.Aggregate(0UL, (sum, d) => sum + d.Entries));

        var single = await _client.DigestAsync(new DigestRequest { Ranges = { new HashRange() } });
        Assert.Equal(50UL, Assert.Single(single.Digests).Entries);
        Assert.NotEqual(0UL, single.Digests[0].Hash);
    }

    [Theory]
    [InlineData(0, 1, "ranges must hold 1 to 1024 ranges, got 0")]
    [InlineData(1025, 1, "ranges must hold 1 to 1024 ranges, got 1025")]
    [InlineData(1, 257, "splits must be at most 256, got 257")]
    [InlineData(17, 256, "ranges x splits must be at most 4096 sub-ranges, got 17 x 256 = 4352")]
    public async Task DigestRefusesTooManyRangesOrSubRangesNamingTheFieldAndTheLimit(int ranges, uint splits, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.DigestAsync(DigestOf(ranges, splits)).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }

    [Fact]
    public async Task DigestRefusesRangesThatOverlap()
    {
        var overlapping = new DigestRequest
        {
            Ranges =
            {
                new HashRange { Start = 0, End = 100 },
                new HashRange { Start = 500, End = 600 },
                new HashRange { Start = ulong.MaxValue - 10, End = 50 },
            },
        };
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.DigestAsync(overlapping).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("ranges[0] and ranges[2] overlap", error.Status.Detail, StringComparison.Ordinal);

        var wholeAndMore = new DigestRequest { Ranges = { new HashRange { Start = 7, End = 7 }, new HashRange { Start = 0, End = 1 } } };
        error = await Assert.ThrowsAsync<RpcException>(() => _client.DigestAsync(wholeAndMore).ResponseAsync);
        Assert.StartsWith("ranges[0] and ranges[1] overlap", error.Status.Detail, StringComparison.Ordinal);

        // Adjacent ranges share a bound, not a hash.
        var adjacent = new DigestRequest { Ranges = { new HashRange { Start = 0, End = 100 }, new HashRange { Start = 100, End = 0 } } };
        Assert.Equal(2, (await _client.DigestAsync(adjacent)).Digests.Count);
    }
}
