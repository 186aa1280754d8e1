using Grpc.Core;
using Microservices.Cache.V1;

namespace Microservices.CacheNode.Grpc;

internal sealed partial class CacheNodeGrpcService
{
    /// <summary>The node's wall clock, for a gateway's clock-offset measurement. Not traced: it runs every few seconds.</summary>
    public override Task<GetClockResponse> GetClock(GetClockRequest request, ServerCallContext context) =>
        Task.FromResult(new GetClockResponse { UnixMs = store.NowMs });
}
