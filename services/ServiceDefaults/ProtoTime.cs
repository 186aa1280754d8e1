using Google.Protobuf.WellKnownTypes;

namespace Microservices.ServiceDefaults;

/// <summary>Conversions between .NET time values and protobuf's Duration and Timestamp.</summary>
public static class ProtoTime
{
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(Duration.MaxSeconds);

    /// <summary>A Duration, clamped to the largest one protobuf allows.</summary>
    public static Duration ToDuration(TimeSpan value) => Duration.FromTimeSpan(value > MaxDuration ? MaxDuration : value);
}
