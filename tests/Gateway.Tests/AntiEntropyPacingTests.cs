using Microservices.Gateway.Rebalancing;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.Gateway.Tests;

/// <summary>Anti-entropy's pace and its configuration.</summary>
public sealed class AntiEntropyPacingTests
{
    [Fact]
    public async Task TheThrottleLetsOneSecondOfWorkThroughAtOnceAndPacesTheRest()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var throttle = new Throttle(perSecond: 10, time);

        Assert.True(throttle.TakeAsync(10, CancellationToken.None).IsCompleted);
        var next = throttle.TakeAsync(15, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(1499));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await next.WaitAsync(TimeSpan.FromSeconds(10));

        // Idle time earns at most one second of credit.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(throttle.TakeAsync(10, CancellationToken.None).IsCompleted);
        Assert.False(throttle.TakeAsync(1, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public void SettingsOutOfRangeAreRefusedNamingTheSettingAndItsLimits()
    {
        var options = new GatewayOptions
        {
            AntiEntropy = new AntiEntropyOptions { Interval = TimeSpan.FromMilliseconds(500), RangesPerSecond = 0, BytesPerSecond = 1000 },
        };

        var result = new AntiEntropyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(
            [
                "Gateway:AntiEntropy:Interval must be 00:00:01 to 1.00:00:00, got 00:00:00.5000000",
                "Gateway:AntiEntropy:RangesPerSecond must be 1 to 1000000000, got 0",
                "Gateway:AntiEntropy:BytesPerSecond must be at least 65536, got 1000",
            ],
            result.Failures);
        Assert.True(new AntiEntropyOptionsValidator().Validate(null, new GatewayOptions()).Succeeded);
    }
}
