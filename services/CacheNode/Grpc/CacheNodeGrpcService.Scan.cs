using System.Globalization;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.CacheNode.Telemetry;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Grpc;

/// <summary>The Scan stream.</summary>
internal sealed partial class CacheNodeGrpcService
{
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
        long streamed = 0;
        var now = store.NowMs;
        foreach (var entry in store.Scan(ranges, request.LiveOnly, now))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            page.Entries.Add(EntryMapping.ToProto(entry, now));
            if (page.Entries.Count == pageSize)
            {
                streamed += page.Entries.Count;
                await responseStream.WriteAsync(page, context.CancellationToken).ConfigureAwait(false);
                page = new ScanResponse();
            }
        }

        if (page.Entries.Count > 0)
        {
            streamed += page.Entries.Count;
            await responseStream.WriteAsync(page, context.CancellationToken).ConfigureAwait(false);
        }

        activity?.SetTag("cache.entries_streamed", streamed);
    }
}
