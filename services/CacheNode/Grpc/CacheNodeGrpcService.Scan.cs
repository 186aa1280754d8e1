using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.CacheNode.Telemetry;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Grpc;

/// <summary>The Scan stream.</summary>
internal sealed partial class CacheNodeGrpcService
{
    /// <summary>
    /// Most bytes of entries in one Scan page: 4 MiB, far under the 16 MiB message limit, whatever the page size
    /// asked. An entry larger than this goes alone in its page.
    /// </summary>
    public const int MaxPageBytes = 4 * 1024 * 1024;

    public override async Task Scan(ScanRequest request, IServerStreamWriter<ScanResponse> responseStream, ServerCallContext context)
    {
        using var activity = CacheNodeTelemetry.StartOperation("cache.scan", items: request.Ranges.Count);
        if (request.PageSize > RequestLimits.MaxBatchItems)
        {
            RpcErrors.Throw(StatusCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"page_size must be at most {RequestLimits.MaxBatchItems}, got {request.PageSize}"));
        }

        var pageSize = request.PageSize == 0 ? DefaultPageSize : (int)request.PageSize;
        var ranges = request.Ranges.Select(r => new Store.HashRange(r.Start, r.End)).ToArray();
        var page = new ScanResponse();
        var pageBytes = 0L;
        long streamed = 0;
        var now = store.NowMs;
        foreach (var entry in store.Scan(ranges, request.LiveOnly, now))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var item = EntryMapping.ToProto(entry, now);

            // As an item of the repeated field: a tag byte, then the length-prefixed entry.
            var size = 1 + CodedOutputStream.ComputeMessageSize(item);
            if (page.Entries.Count == pageSize || (page.Entries.Count > 0 && pageBytes + size > MaxPageBytes))
            {
                streamed += page.Entries.Count;
                await responseStream.WriteAsync(page, context.CancellationToken).ConfigureAwait(false);
                page = new ScanResponse();
                pageBytes = 0;
            }

            page.Entries.Add(item);
            pageBytes += size;
        }

        if (page.Entries.Count > 0)
        {
            streamed += page.Entries.Count;
            await responseStream.WriteAsync(page, context.CancellationToken).ConfigureAwait(false);
        }

        activity?.SetTag("cache.entries_streamed", streamed);
    }
}
