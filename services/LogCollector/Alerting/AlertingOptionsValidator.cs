using System.Globalization;
using Microservices.ServiceDefaults.LogShipping;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Alerting;

/// <summary>
/// Checks <see cref="AlertingOptions"/> at start, so that no configured number can stop a loop later: every
/// interval within what the timers and Polly accept, every threshold finite and reachable, rule names that keep
/// alert ids unambiguous.
/// </summary>
public sealed class AlertingOptionsValidator(IOptions<LogCollectorOptions> collector) : IValidateOptions<AlertingOptions>
{
    // Polly's limits: a timeout from 10 ms to 24 h, a retry delay up to 24 h. PeriodicTimer's period is bounded too.
    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromHours(24);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AlertingOptions options)
    {
        var errors = new List<string>();
        if (options.EvaluationInterval < TimeSpan.FromMilliseconds(100) || options.EvaluationInterval > MaxInterval)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:EvaluationInterval must be from 100 ms to 24 h, got {options.EvaluationInterval}"));
        }

        if (options.RepeatInterval <= TimeSpan.Zero || options.ResolvedRetention < TimeSpan.Zero || options.MaxResolved < 0)
        {
            errors.Add("Alerting:RepeatInterval must be positive; ResolvedRetention and MaxResolved not negative");
        }

        foreach (var (ruleName, rule) in options.EffectiveRules)
        {
            CheckRule(errors, ruleName, rule, collector.Value);
        }

        if (options.Webhook.Url.Length > 0 && !Uri.TryCreate(options.Webhook.Url, UriKind.Absolute, out _))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:Webhook:Url must be an absolute URL, got '{options.Webhook.Url}'"));
        }

        // An unset recipient parameter of the AppHost arrives as one empty address.
        if (options.Email.Host.Length > 0 && options.Email.To.All(string.IsNullOrWhiteSpace))
        {
            errors.Add("Alerting:Email:To must name at least one recipient when Alerting:Email:Host is set");
        }

        if (options.Email.Port is < 1 or > 65535)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:Email:Port must be from 1 to 65535, got {options.Email.Port}"));
        }

        CheckSink(errors, "Webhook", options.Webhook.MaxAttempts, options.Webhook.Timeout, options.Webhook.InitialBackoff);
        CheckSink(errors, "Email", options.Email.MaxAttempts, options.Email.Timeout, options.Email.InitialBackoff);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckRule(List<string> errors, string ruleName, AlertRuleOptions rule, LogCollectorOptions collector)
    {
        if (ruleName.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:Rules:{ruleName}: a rule name must not contain '/' (alert ids are <rule>/<service>)"));
        }

        var window = rule.Window ?? collector.WindowSize;
        if (window < TimeSpan.FromSeconds(1) || window > collector.Retention)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:Rules:{ruleName}:Window must be from 1 s to the retention, got {window}"));
        }

        if (rule.For < TimeSpan.Zero || rule.MinSamples < 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:Rules:{ruleName}: For must not be negative, MinSamples at least 1"));
        }

        // NaN fails every comparison: the negated ranges refuse it along with Infinity and values never reached.
        var (limit, unit) = rule.Metric == AlertMetric.ErrorRate ? (1.0, "an error rate") : (LogEntryLimits.MaxResponseTimeMs, "ms");
        if (!(rule.Threshold >= 0 && rule.Threshold < limit))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:Rules:{ruleName}:Threshold must be from 0 to less than {limit} ({unit}), got {rule.Threshold}"));
        }
    }

    private static void CheckSink(List<string> errors, string sink, int maxAttempts, TimeSpan timeout, TimeSpan initialBackoff)
    {
        if (maxAttempts < 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:{sink}:MaxAttempts must be at least 1, got {maxAttempts}"));
        }

        if (timeout < MinTimeout || timeout > MaxInterval)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:{sink}:Timeout must be from 10 ms to 24 h, got {timeout}"));
        }

        if (initialBackoff < TimeSpan.Zero || initialBackoff > MaxInterval)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Alerting:{sink}:InitialBackoff must be from 0 to 24 h, got {initialBackoff}"));
        }
    }
}
