using Google.Protobuf;
using Microservices.Cache.V1;
using Microservices.Gateway.Replication;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Tests;

/// <summary>The causal context clients carry between a read and a write: its relations, pruning and decoding.</summary>
public sealed class CausalContextTests
{
    private static ProtoVersion Version(string writer, long timestamp, params (string Writer, ulong Counter)[] past)
    {
        var version = new ProtoVersion { Writer = writer, Timestamp = timestamp };
        version.Vector.Add(past.Select(p => new VersionCounter { Writer = p.Writer, Counter = p.Counter }));
        return version;
    }

    [Fact]
    public void AContextCoversTheDotsOfItsPastAndNotLaterOrOtherWriters()
    {
        var context = CausalContext.Of(Version("g1", 10, ("g2", 5)));

        Assert.True(context.Covers(Version("g1", 10)));
        Assert.True(context.Covers(Version("g1", 9)));
        Assert.True(context.Covers(Version("g2", 5)));
        Assert.False(context.Covers(Version("g1", 11)));
        Assert.False(context.Covers(Version("g2", 6)));
        Assert.False(context.Covers(Version("g3", 1)));
    }

    [Fact]
    public void AJoinDescendsBothSidesWhileConcurrentContextsDescendNeither()
    {
        var a = CausalContext.Of(Version("g1", 10));
        var b = CausalContext.Of(Version("g2", 7, ("g1", 4)));
        var joined = a.Join(b);

        Assert.False(a.Descends(b));
        Assert.False(b.Descends(a));
        Assert.True(joined.Descends(a));
        Assert.True(joined.Descends(b));
        Assert.Equal(10UL, joined["g1"]);
        Assert.Equal(7UL, joined["g2"]);
    }

    [Fact]
    public void PruningKeepsTheSixteenNewestWriters()
    {
        var past = Enumerable.Range(1, 20).Select(i => ($"g{i:00}", (ulong)i)).ToArray();
        var pruned = CausalContext.Of(Version("g21", 100, past)).Pruned();

        Assert.Equal(CausalContext.MaxEntries, pruned.Entries.Count);
        Assert.Equal(100UL, pruned["g21"]);
        Assert.Equal(0UL, pruned["g05"]);
        Assert.Equal(6UL, pruned["g06"]);
    }

    [Fact]
    public void AnEncodedContextDecodesToTheSameVector()
    {
        var context = CausalContext.Of(Version("g1", 10, ("g2", 5)));

        Assert.Null(CausalContext.TryDecode(context.Encode(), "context", out var decoded));
        Assert.Equal(context.Entries, decoded.Entries);
        Assert.Null(CausalContext.TryDecode(ByteString.Empty, "context", out var empty));
        Assert.Empty(empty.Entries);
    }

    [Fact]
    public void AVersionEncodesAsTheContextOfItsPastWhateverTheShapeOfItsVector()
    {
        ProtoVersion[] versions =
        [
            Version("g1", 10, ("g1", 10), ("g2", 5)),
            Version("g1", 10, ("g2", 5)),
            Version("g1", 10, ("g2", 5), ("g1", 3)),
            Version("g1", 10, ("g1", 10), ("g1", 12)),
            Version("g2", 10, ("g1", 4), ("g2", 9)),
            Version("g1", 10),
        ];

        foreach (var version in versions)
        {
            Assert.Equal(CausalContext.Of(version).Encode(), CausalContext.EncodeOf(version));
        }
    }

    [Fact]
    public void BytesThatAreNotAContextAreRefusedNamingTheFieldAndTheLimit()
    {
        Assert.Contains("if_version is not a context", CausalContext.TryDecode(ByteString.CopyFrom(0xFF, 0xFF, 0xFF), "if_version", out _));
        Assert.Contains("at most 4096", CausalContext.TryDecode(ByteString.CopyFrom(new byte[5000]), "context", out _));

        var tooMany = new Cache.V1.ContextVector();
        tooMany.Vector.Add(Enumerable.Range(1, 17).Select(i => new VersionCounter { Writer = $"g{i}", Counter = 1 }));
        Assert.Contains("at most 16", CausalContext.TryDecode(tooMany.ToByteString(), "context", out _));

        var zero = new Cache.V1.ContextVector { Vector = { new VersionCounter { Writer = "g1", Counter = 0 } } };
        Assert.NotNull(CausalContext.TryDecode(zero.ToByteString(), "context", out _));
    }
}
