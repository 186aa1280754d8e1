using Grpc.Core;
using Microservices.Cache.V1;

namespace Microservices.CacheNode.Tests;

/// <summary>Conditional writes over gRPC: a precondition that does not hold is reported, not an error.</summary>
public sealed partial class CacheNodeGrpcTests
{
    private static Precondition Seen(string writer, ulong counter) => new() { Seen = { new VersionCounter { Writer = writer, Counter = counter } } };

    [Fact]
    public async Task APutOrDeleteWhosePreconditionFailsIsNotAppliedAndReportsTheStoredVersion()
    {
        await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "v1", 100) });
        await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "v2", 150) });
        var stale = TextEntry("k", "v3", 200);
        stale.Precondition = Seen("gw-a", 100);
        var absent = TextEntry("k", "v3", 200);
        absent.Precondition = new Precondition { Absent = true };

        var put = await _client.PutAsync(new PutRequest { Entry = stale });
        var many = await _client.MultiPutAsync(new MultiPutRequest { Entries = { absent, TextEntry("other", "v", 100) } });
        var delete = await _client.DeleteAsync(new DeleteRequest { Key = "k", Version = V(200), Precondition = Seen("gw-a", 100) });

        Assert.True(put is { Applied: false, PreconditionFailed: true, NoRoom: false });
        Assert.Equal(150, put.Current.Timestamp);
        Assert.True(many.Results[0] is { Applied: false, PreconditionFailed: true });
        Assert.True(many.Results[1] is { Applied: true, PreconditionFailed: false });
        Assert.True(delete is { Applied: false, PreconditionFailed: true });
        Assert.Equal("v2", (await _client.GetAsync(new GetRequest { Key = "k" })).Entry.Value.ToStringUtf8());

        var current = await _client.DeleteAsync(new DeleteRequest { Key = "k", Version = V(300), Precondition = Seen("gw-a", 150) });
        Assert.True(current is { Applied: true, PreconditionFailed: false });
    }

    [Fact]
    public async Task APreconditionWithMoreThanSixteenCountersIsInvalid()
    {
        var entry = TextEntry("k", "v", 100);
        entry.Precondition = new Precondition();
        entry.Precondition.Seen.Add(Enumerable.Range(1, 17).Select(i => new VersionCounter { Writer = $"g{i}", Counter = 1 }));

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.PutAsync(new PutRequest { Entry = entry }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("entry.precondition.seen has 17 counters; at most 16", error.Status.Detail, StringComparison.Ordinal);
    }
}
