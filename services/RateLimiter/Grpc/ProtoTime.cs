using Google.Protobuf.WellKnownTypes;

namespace Microservices.RateLimiter.Grpc;

/// <summary>TimeSpan to protobuf Duration, clamped to the largest Duration protobuf allows.</summary>
internal static class ProtoTime
{
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(Duration.MaxSeconds);

    public static Duration ToDuration(TimeSpan value) => Duration.FromTimeSpan(value > MaxDuration ? MaxDuration : value);
}
