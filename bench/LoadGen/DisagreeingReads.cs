using Google.Protobuf;
using Grpc.Net.Client;
using Microservices.Cache.V1;

namespace Microservices.LoadGen;

/// <summary>
/// Makes a key's replicas disagree (or agree) before each gateway Get at QUORUM, so the cost of blocking read repair
/// is measured: before every call, and outside its timing, a new version of the key is written straight to every node
/// of --nodes. For gw-get-quorum-disagree each node gets a different version (node i: base + i), so any two
/// replicas a QUORUM read asks disagree and it repairs one before answering; for gw-get-quorum-agree all get the same
/// version, so the read has the same node writes before it and nothing to repair. Compare their latencies.
/// </summary>
internal static class DisagreeingReads
{
    /// <summary>The untimed step before each call of <paramref name="rpc"/>, or null when it has none.</summary>
    public static Func<Task>? Prepare(string rpc, LoadOptions options, int worker)
    {
        if (rpc is not ("gw-get-quorum-disagree" or "gw-get-quorum-agree"))
        {
            return null;
        }

        if (options.Nodes.Length == 0)
        {
            throw new ArgumentException($"--rpc {rpc} needs --nodes (the addresses of every cache node)");
        }

        var disagree = rpc == "gw-get-quorum-disagree";
        var nodes = options.Nodes.Select(address => new CacheNode.CacheNodeClient(GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new ClusterKeyHandler(options.ClusterKey) { InnerHandler = new SocketsHttpHandler() },
        }))).ToArray();
        var value = ByteString.CopyFrom(new byte[options.ValueBytes]);
        var writer = $"load-{worker}";
        var next = CallFactory.FirstKey(options, worker);
        long last = 0;
        return async () =>
        {
            // The same key as the Get that follows (GatewayCalls.Get advances first, as here).
            next = (next + 1) % options.Keys;
            var key = $"{options.Tenant}/load-{next}";

            // A hybrid-logical-clock timestamp (unix ms in the high 48 bits) after the gateway's stamps and this
            // worker's last ones, within the nodes' allowed clock offset.
            var stamp = Math.Max(last + nodes.Length + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16);
            last = stamp + nodes.Length;
            await Task.WhenAll(nodes.Select((node, i) => node.PutAsync(new PutRequest
            {
                Entry = new Entry
                {
                    Key = key,
                    Value = value,
                    Kind = ValueKind.Binary,
                    Version = new Cache.V1.Version { Timestamp = disagree ? stamp + i + 1 : stamp, Writer = writer },
                },
            }).ResponseAsync));
        };
    }
}
