using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microservices.Cache.V1;
using Microservices.ServiceDefaults;
using Microservices.TestSupport;
using CacheNodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;

namespace Microservices.CacheNode.Tests;

/// <summary>Scan pages of large values, through a channel with the message limits every service of the product uses.</summary>
public sealed class CacheNodeScanTests : IDisposable
{
    private readonly GrpcServiceApp<Program> _app = new(new()
    {
        ["CacheNode:NodeName"] = "cache-node-scan",
        ["CacheNode:MaxValueBytes"] = $"{8 * 1024 * 1024}",
        ["CacheNode:MaxBytes"] = $"{256 * 1024 * 1024}",
    });

    private readonly GrpcChannel _channel;
    private readonly CacheNodeClient _client;

    public CacheNodeScanTests()
    {
        _channel = GrpcChannel.ForAddress(_app.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = _app.Server.CreateHandler(),
            MaxReceiveMessageSize = GrpcLimits.MaxMessageBytes,
            MaxSendMessageSize = GrpcLimits.MaxMessageBytes,
        });
        _client = new CacheNodeClient(_channel);
    }

    public void Dispose()
    {
        _channel.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task ScanPagesAreBoundedByBytesAsWellAsEntries()
    {
        for (var i = 0; i < 40; i++)
        {
            await PutAsync($"big-{i}", 1_000_000);
        }

        for (var i = 0; i < 100; i++)
        {
            await PutAsync($"small-{i}", 10);
        }

        var pages = await ScanAsync(pageSize: 1000);

        Assert.Equal(140, pages.Sum(p => p.Entries.Count));
        Assert.All(pages, page => Assert.InRange(page.CalculateSize(), 1, Grpc.CacheNodeGrpcService.MaxPageBytes));
        Assert.True(pages.Count >= 10, $"{pages.Count} pages");
    }

    [Fact]
    public async Task AnEntryLargerThanAPageGoesAloneInItsPage()
    {
        await PutAsync("small-1", 10);
        await PutAsync("huge", 6 * 1024 * 1024);
        await PutAsync("small-2", 10);

        var pages = await ScanAsync(pageSize: 0);

        var huge = Assert.Single(pages, p => p.Entries.Any(e => e.Key == "huge"));
        Assert.Single(huge.Entries);
        Assert.Equal(3, pages.Sum(p => p.Entries.Count));
    }

    private Task<PutResponse> PutAsync(string key, int bytes) => _client.PutAsync(new PutRequest
    {
        Entry = new Entry { Key = key, Value = ByteString.CopyFrom(new byte[bytes]), Version = new Cache.V1.Version { Timestamp = 1, Writer = "w" } },
    }).ResponseAsync;

    private async Task<List<ScanResponse>> ScanAsync(uint pageSize)
    {
        using var call = _client.Scan(new ScanRequest { PageSize = pageSize });
        var pages = new List<ScanResponse>();
        await foreach (var page in call.ResponseStream.ReadAllAsync())
        {
            pages.Add(page);
        }

        return pages;
    }
}
