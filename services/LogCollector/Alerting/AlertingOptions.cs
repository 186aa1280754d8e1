using MailKit.Security;

namespace Microservices.LogCollector.Alerting;

/// <summary>Alert rules, evaluation timing and notification sinks, bound from the <c>Alerting</c> section.</summary>
public sealed class AlertingOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Alerting";

    /// <summary>How often every rule is evaluated.</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A firing alert is notified again after this long.</summary>
    public TimeSpan RepeatInterval { get; set; } = TimeSpan.FromHours(4);

    /// <summary>How long resolved alerts stay in ListAlerts.</summary>
    public TimeSpan ResolvedRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most resolved alerts kept for ListAlerts.</summary>
    public int MaxResolved { get; set; } = 1000;

    /// <summary>Rules by name. Empty = the defaults: error rate above 5 % and average response time above 1000 ms.</summary>
    public Dictionary<string, AlertRuleOptions> Rules { get; set; } = [];

    /// <summary>The webhook sink; off while <see cref="WebhookOptions.Url"/> is empty.</summary>
    public WebhookOptions Webhook { get; set; } = new();

    /// <summary>The e-mail sink; off while <see cref="EmailOptions.Host"/> is empty.</summary>
    public EmailOptions Email { get; set; } = new();

    /// <summary>The configured rules, or the defaults when none are configured.</summary>
    public IReadOnlyDictionary<string, AlertRuleOptions> EffectiveRules => Rules.Count > 0
        ? Rules
        : new Dictionary<string, AlertRuleOptions>
        {
            ["high-error-rate"] = new() { Metric = AlertMetric.ErrorRate, Threshold = 0.05, Severity = AlertSeverity.Critical },
            ["slow-responses"] = new() { Metric = AlertMetric.AverageResponseTime, Threshold = 1000, Severity = AlertSeverity.Warning },
        };
}

/// <summary>What a rule measures.</summary>
public enum AlertMetric
{
    /// <summary>(ERROR + FATAL) / all entries, 0..1.</summary>
    ErrorRate,

    /// <summary>Mean response time, in milliseconds.</summary>
    AverageResponseTime,

    /// <summary>95th percentile of response times, in milliseconds.</summary>
    P95ResponseTime,

    /// <summary>99th percentile of response times, in milliseconds.</summary>
    P99ResponseTime,
}

/// <summary>A rule's severity.</summary>
public enum AlertSeverity
{
    /// <summary>For information.</summary>
    Info,

    /// <summary>Needs attention soon.</summary>
    Warning,

    /// <summary>Needs attention now.</summary>
    Critical,
}

/// <summary>Where a rule applies.</summary>
public enum RuleScope
{
    /// <summary>Each service and all services together.</summary>
    ServicesAndOverall,

    /// <summary>Each service.</summary>
    Services,

    /// <summary>All services together.</summary>
    Overall,
}

/// <summary>One alert rule: the metric is above the threshold over the window, with enough samples.</summary>
public sealed class AlertRuleOptions
{
    /// <summary>What is measured.</summary>
    public AlertMetric Metric { get; set; } = AlertMetric.ErrorRate;

    /// <summary>
    /// The alert holds while the value is above this: an error rate from 0 to less than 1, or milliseconds from 0 to
    /// less than the largest accepted response time (24 h).
    /// </summary>
    public double Threshold { get; set; }

    /// <summary>Window the value is measured over; unset = LogCollector:WindowSize.</summary>
    public TimeSpan? Window { get; set; }

    /// <summary>How long the condition must hold before the alert fires (pending until then).</summary>
    public TimeSpan For { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Fewest entries (for response times: timed entries) in the window before the rule can hold. For the overall
    /// alert only entries of services above the threshold count (see <c>AlertManager.Rules.cs</c>).
    /// </summary>
    public int MinSamples { get; set; } = 20;

    /// <summary>Severity of its alerts.</summary>
    public AlertSeverity Severity { get; set; } = AlertSeverity.Warning;

    /// <summary>Each service, overall, or both.</summary>
    public RuleScope Scope { get; set; } = RuleScope.ServicesAndOverall;

    /// <summary>False turns the rule off.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>The webhook sink: a JSON POST of each notification, in the chosen <see cref="Format"/>.</summary>
public sealed class WebhookOptions
{
    /// <summary>Where to POST; empty = the sink is off.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>The body: Slack-compatible (default) or Prometheus Alertmanager's webhook JSON version 4.</summary>
    public WebhookFormat Format { get; set; } = WebhookFormat.Slack;

    /// <summary>Alertmanager format: the <c>receiver</c> field, the name the receiver knows this sender by.</summary>
    public string Receiver { get; set; } = "logcollector";

    /// <summary>Alertmanager format: <c>externalURL</c> and each alert's <c>generatorURL</c>, e.g. the dashboard's address.</summary>
    public string ExternalUrl { get; set; } = string.Empty;

    /// <summary>Timeout of one attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts per notification, with exponential backoff between them.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First backoff; it doubles after each failed attempt.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>The JSON a webhook receives.</summary>
public enum WebhookFormat
{
    /// <summary>A Slack-compatible <c>text</c> field plus the alert's fields in camelCase.</summary>
    Slack,

    /// <summary>Prometheus Alertmanager's webhook JSON, version 4: one group with one alert per notification.</summary>
    Alertmanager,
}

/// <summary>The e-mail sink, through SMTP with MailKit.</summary>
public sealed class EmailOptions
{
    /// <summary>SMTP server; empty = the sink is off.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>SMTP port.</summary>
    public int Port { get; set; } = 25;

    /// <summary>TLS use: None, Auto, SslOnConnect, StartTls, StartTlsWhenAvailable.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTlsWhenAvailable;

    /// <summary>User name; empty = no authentication.</summary>
    public string UserName { get; set; } = string.Empty;

    /// <summary>Password for <see cref="UserName"/>.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>Sender address.</summary>
    public string From { get; set; } = "alerts@localhost";

    /// <summary>Recipients.</summary>
    public List<string> To { get; set; } = [];

    /// <summary>Timeout of one attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per notification, with exponential backoff between them.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>First backoff; it doubles after each failed attempt.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);
}
