using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Gateway.Rebalancing;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>Anti-entropy: a pass on demand, and its status.</summary>
internal sealed partial class ClusterGrpcService
{
    public override async Task<RunAntiEntropyResponse> RunAntiEntropy(RunAntiEntropyRequest request, ServerCallContext context) =>
        new() { Pass = ToProto(await antiEntropy.RunAsync(context.CancellationToken)) };

    public override Task<GetAntiEntropyStatusResponse> GetAntiEntropyStatus(GetAntiEntropyStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new GetAntiEntropyStatusResponse
        {
            Enabled = antiEntropy.Options.Enabled,
            Interval = ProtoTime.ToDuration(antiEntropy.Options.Interval),
            Running = antiEntropy.Running,
            LastPass = antiEntropy.LastPass is { } last ? ToProto(last) : null,
            Passes = (ulong)antiEntropy.Passes,
            KeysRepaired = (ulong)antiEntropy.KeysRepaired,
        });

    private static AntiEntropyPass ToProto(AntiEntropyReport report) => new()
    {
        StartedAt = Timestamp.FromDateTimeOffset(report.StartedAt),
        Took = ProtoTime.ToDuration(report.Took),
        RangesCompared = (ulong)report.RangesCompared,
        RangesDivergent = (ulong)report.RangesDivergent,
        KeysRepaired = (ulong)report.KeysRepaired,
        EntriesScanned = (ulong)report.EntriesScanned,
        BytesExchanged = (ulong)report.BytesExchanged,
        Skipped = { report.Skipped },
        Complete = report.Complete,
    };
}
