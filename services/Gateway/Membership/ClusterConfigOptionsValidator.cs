using System.Globalization;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Membership;

/// <summary>Checks <c>Gateway:ClusterConfig</c> at start, naming each setting and its limits.</summary>
public sealed class ClusterConfigOptionsValidator : IValidateOptions<GatewayOptions>
{
    private const string Prefix = $"{GatewayOptions.Section}:ClusterConfig:";
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxSettle = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxLease = TimeSpan.FromHours(1);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var settings = options.ClusterConfig;
        var errors = new List<string>();
        if (settings.PollInterval < MinPoll || settings.PollInterval > MaxPoll)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}{nameof(settings.PollInterval)} must be {MinPoll:c} to {MaxPoll:c}, got {settings.PollInterval:c}"));
        }

        if (settings.SettleDelay is { } settle && (settle < TimeSpan.Zero || settle > MaxSettle))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}{nameof(settings.SettleDelay)} must be {TimeSpan.Zero:c} to {MaxSettle:c}, got {settle:c}"));
        }

        if (settings.ChangeLease <= settings.PollInterval || settings.ChangeLease > MaxLease)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}{nameof(settings.ChangeLease)} must be above {nameof(settings.PollInterval)} ({settings.PollInterval:c}) and at most {MaxLease:c}, got {settings.ChangeLease:c}"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
