using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microservices.Cache.V1;
using Microservices.Gateway;
using Microservices.Gateway.Grpc;

namespace Microservices.Benchmarks;

/// <summary>
/// The gateway's work on a MultiGet reply of 100 found keys after the replicas answered: a Get reply per entry (value,
/// version, causal context), the session token of the keys read, and the serialized reply, as
/// <c>CacheGrpcService.MultiGet</c> builds it.
/// </summary>
[MemoryDiagnoser]
public class MultiGetReplyBenchmarks
{
    private const int Keys = 100;
    private readonly RequestMapping _mapping = new(new GatewayOptions(), TimeProvider.System);
    private Entry[] _entries = null!;

    [GlobalSetup]
    public void Setup()
    {
        var timestamp = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16) | 7;
        _entries = [.. Enumerable.Range(0, Keys).Select(i => new Entry
        {
            Key = $"key:{i}",
            Value = ByteString.CopyFromUtf8(new string('v', 100)),
            Kind = ValueKind.Text,
            ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)),
            Version = new Cache.V1.Version
            {
                Timestamp = timestamp + i,
                Writer = "gateway-1",
                Vector = { new VersionCounter { Writer = "gateway-1", Counter = (ulong)(timestamp + i) } },
            },
        })];
    }

    /// <summary>The reply and its token built, then serialized; returns its size in bytes.</summary>
    [Benchmark]
    public int MultiGetReplyOf100()
    {
        var session = _mapping.ReadSession(ByteString.Empty);
        var reply = new Gateway.V1.MultiGetResponse();
        foreach (var entry in _entries)
        {
            reply.Items.Add(_mapping.ToReply(entry));
            session.Saw("bench", entry.Key, entry.Version);
        }

        reply.SessionToken = session.Encode();
        return reply.ToByteArray().Length;
    }
}
