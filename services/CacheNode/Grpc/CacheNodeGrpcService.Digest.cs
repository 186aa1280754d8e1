using System.Globalization;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.CacheNode.Store;
using Microservices.CacheNode.Telemetry;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Grpc;

/// <summary>Digest: range digests for anti-entropy (see <see cref="CacheStore.Digest"/>).</summary>
internal sealed partial class CacheNodeGrpcService
{
    public override Task<DigestResponse> Digest(DigestRequest request, ServerCallContext context)
    {
        using var activity = CacheNodeTelemetry.StartOperation("cache.digest", items: request.Ranges.Count);
        var splits = request.Splits == 0 ? 1 : request.Splits;
        RpcErrors.ThrowIfInvalid(CheckDigest(request.Ranges.Count, splits));
        var ranges = request.Ranges.Select(r => new Store.HashRange(r.Start, r.End)).ToArray();
        if (new RangeLookup(ranges).Overlap() is var (first, second))
        {
            RpcErrors.Throw(StatusCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"ranges[{first}] and ranges[{second}] overlap; digest ranges must not overlap (a range with start == end is the whole ring)"));
        }

        var digests = store.Digest(ranges, (int)splits, store.NowMs, context.CancellationToken);
        var reply = new DigestResponse();
        foreach (var digest in digests)
        {
            reply.Digests.Add(new Cache.V1.RangeDigest { Entries = (ulong)digest.Entries, Hash = digest.Hash });
        }

        return Task.FromResult(reply);
    }

    private static string? CheckDigest(int ranges, uint splits) =>
        ranges is 0 or > RingSplit.MaxRanges
            ? string.Create(CultureInfo.InvariantCulture, $"ranges must hold 1 to {RingSplit.MaxRanges} ranges, got {ranges}")
            : splits > RingSplit.MaxSplits
                ? string.Create(CultureInfo.InvariantCulture, $"splits must be at most {RingSplit.MaxSplits}, got {splits}")
                : (long)ranges * splits > RingSplit.MaxSubRanges
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"ranges x splits must be at most {RingSplit.MaxSubRanges} sub-ranges, got {ranges} x {splits} = {(long)ranges * splits}")
                    : null;
}
