using System.Globalization;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Rebalancing;

/// <summary>Checks <c>Gateway:AntiEntropy</c> at start, naming each setting and its limits.</summary>
public sealed class AntiEntropyOptionsValidator : IValidateOptions<GatewayOptions>
{
    private const string Prefix = $"{GatewayOptions.Section}:{AntiEntropyOptions.Section}:";
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var settings = options.AntiEntropy;
        var errors = new List<string>();
        if (settings.Interval < MinInterval || settings.Interval > MaxInterval)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}{nameof(settings.Interval)} must be {MinInterval:c} to {MaxInterval:c}, got {settings.Interval:c}"));
        }

        if (settings.RangesPerSecond is < 1 or > 1_000_000_000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}{nameof(settings.RangesPerSecond)} must be 1 to 1000000000, got {settings.RangesPerSecond}"));
        }

        if (settings.BytesPerSecond < 65_536)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}{nameof(settings.BytesPerSecond)} must be at least 65536, got {settings.BytesPerSecond}"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
