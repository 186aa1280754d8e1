using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Microservices.LogCollector.Telemetry;
using Microservices.LogCollector.Windows;
using Microservices.Logs.V1;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Alerting;

/// <summary>
/// Evaluates every rule for every service and overall, and moves each alert (identified by rule, scope and service,
/// <see cref="AlertKey"/>) through inactive -> pending (while the condition has held for less than the rule's
/// <c>for</c>) -> firing -> resolved. One notification per transition to firing or resolved, and a repeat while
/// firing; pending alerts are only shown (ListAlerts, WatchAlerts). Thread-safe: one lock guards the alerts and the
/// watchers. How a rule is measured: <c>AlertManager.Rules.cs</c>.
/// </summary>
internal sealed partial class AlertManager
{
    private const int WatcherQueueCapacity = 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<AlertKey, ActiveAlert> _active = [];
    private readonly LinkedList<Alert> _resolved = new();
    private readonly List<Channel<WatchAlertsResponse>> _watchers = [];
    private readonly WindowRegistry _windows;
    private readonly TimeProvider _time;
    private readonly NotificationDispatcher _dispatcher;
    private readonly LogCollectorTelemetry _telemetry;
    private readonly AlertingOptions _options;
    private readonly IReadOnlyList<(string Name, AlertRuleOptions Rule, long WindowSeconds)> _rules;

    public AlertManager(
        WindowRegistry windows, TimeProvider time, NotificationDispatcher dispatcher, LogCollectorTelemetry telemetry,
        IOptions<AlertingOptions> options, IOptions<LogCollectorOptions> collector)
    {
        _windows = windows;
        _time = time;
        _dispatcher = dispatcher;
        _telemetry = telemetry;
        _options = options.Value;
        _rules = [.. _options.EffectiveRules.Where(pair => pair.Value.Enabled).Select(pair => (pair.Key, pair.Value,
            (long)Math.Ceiling((pair.Value.Window ?? collector.Value.WindowSize).TotalSeconds)))];
        telemetry.ObserveFiring(() => Firing);
    }

    /// <summary>Alerts firing now.</summary>
    public int Firing
    {
        get
        {
            lock (_gate)
            {
                return _active.Values.Count(active => active.Alert.State == AlertState.Firing);
            }
        }
    }

    /// <summary>Evaluates every rule once, at the current time.</summary>
    public void Evaluate()
    {
        var now = _time.GetUtcNow();
        var services = _windows.ServiceNames;
        var tracked = new HashSet<string>(services, StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var (name, rule, windowSeconds) in _rules)
            {
                EvaluateRule(name, rule, windowSeconds, services, tracked, now);
            }

            PruneResolved(now);
        }
    }

    /// <summary>Active alerts, and recently resolved ones when asked, most recently started first.</summary>
    public IReadOnlyList<Alert> List(bool includeResolved)
    {
        lock (_gate)
        {
            var alerts = _active.Values.Select(active => active.Alert.Clone());
            if (includeResolved)
            {
                alerts = alerts.Concat(_resolved.Select(alert => alert.Clone()));
            }

            return [.. alerts.OrderByDescending(alert => alert.StartedAt.ToDateTimeOffset())];
        }
    }

    /// <summary>
    /// Opens a watch: the currently active alerts first, then every state change. A slow reader loses its oldest
    /// events, never blocks evaluation. Dispose the result to stop watching.
    /// </summary>
    public AlertWatch Watch(string service)
    {
        var channel = Channel.CreateBounded<WatchAlertsResponse>(new BoundedChannelOptions(WatcherQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            var at = Timestamp.FromDateTimeOffset(_time.GetUtcNow());
            foreach (var active in _active.Values.Where(active => service.Length == 0 || active.Alert.Service == service))
            {
                channel.Writer.TryWrite(new WatchAlertsResponse { Alert = active.Alert.Clone(), At = at });
            }

            _watchers.Add(channel);
        }

        return new AlertWatch(channel.Reader, service, () =>
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        });
    }

    // Moves one alert on: the condition holds (with enough samples) or it does not.
    private void Step(AlertKey key, AlertRuleOptions rule, bool holds, Reading reading, long windowSeconds, DateTimeOffset now)
    {
        _active.TryGetValue(key, out var active);
        var value = reading.Value;
        if (holds)
        {
            var message = Describe(rule, key, reading, windowSeconds);
            if (active is null)
            {
                active = new ActiveAlert(new Alert
                {
                    Id = key.Id,
                    Rule = key.Rule,
                    Scope = key.Scope,
                    Service = key.Service,
                    Severity = ToProto(rule.Severity),
                    State = AlertState.Pending,
                    Threshold = rule.Threshold,
                    StartedAt = Timestamp.FromDateTimeOffset(now),
                });
                _active[key] = active;
                active.Update(value, message);
                if (rule.For > TimeSpan.Zero)
                {
                    Publish(active.Alert, now);
                    return;
                }
            }

            active.Update(value, message);
            if (active.Alert.State == AlertState.Pending && now - active.Alert.StartedAt.ToDateTimeOffset() >= rule.For)
            {
                active.Alert.State = AlertState.Firing;
                active.LastNotified = now;
                Publish(active.Alert, now);
                Notify(active.Alert, NotificationKind.Firing, now);
            }
            else if (active.Alert.State == AlertState.Firing && now - active.LastNotified >= _options.RepeatInterval)
            {
                active.LastNotified = now;
                Notify(active.Alert, NotificationKind.Repeat, now);
            }

            return;
        }

        if (active is null)
        {
            return;
        }

        _active.Remove(key);
        var wasFiring = active.Alert.State == AlertState.Firing;
        active.Alert.State = AlertState.Resolved;
        active.Alert.ResolvedAt = Timestamp.FromDateTimeOffset(now);
        active.Alert.Value = value;
        Publish(active.Alert, now);
        if (wasFiring)
        {
            // A pending alert that goes away was never announced: watchers see it resolve, sinks hear nothing.
            _resolved.AddFirst(active.Alert);
            Notify(active.Alert, NotificationKind.Resolved, now);
        }
    }

    private void Publish(Alert alert, DateTimeOffset now)
    {
        _telemetry.RecordTransition(alert.State.ToString());
        var at = Timestamp.FromDateTimeOffset(now);
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(new WatchAlertsResponse { Alert = alert.Clone(), At = at });
        }
    }

    private void Notify(Alert alert, NotificationKind kind, DateTimeOffset now) =>
        _dispatcher.Enqueue(new AlertNotification(alert.Clone(), kind, now));

    private void PruneResolved(DateTimeOffset now)
    {
        while (_resolved.Last is { } oldest
            && (_resolved.Count > _options.MaxResolved || now - oldest.Value.ResolvedAt.ToDateTimeOffset() > _options.ResolvedRetention))
        {
            _resolved.RemoveLast();
        }
    }

    private static Severity ToProto(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => Severity.Critical,
        AlertSeverity.Warning => Severity.Warning,
        _ => Severity.Info,
    };

    /// <summary>
    /// An alert's identity: rule, scope and, for a service's alert, the service. Scope is a field of its own, so no
    /// service name (<c>overall</c> included) can stand for the overall alert or any other.
    /// </summary>
    private readonly record struct AlertKey(string Rule, AlertScope Scope, string Service)
    {
        public static AlertKey Overall(string rule) => new(rule, AlertScope.Overall, string.Empty);

        public static AlertKey OfService(string rule, string service) => new(rule, AlertScope.Service, service);

        // Rule names never contain '/' (validated), so the id is unambiguous: "<rule>" or "<rule>/<service>".
        public string Id => Scope == AlertScope.Overall ? Rule : Rule + "/" + Service;
    }

    private sealed class ActiveAlert(Alert alert)
    {
        public Alert Alert { get; } = alert;

        public DateTimeOffset LastNotified { get; set; }

        public void Update(double value, string message)
        {
            Alert.Value = value;
            Alert.Message = message;
        }
    }
}

/// <summary>An open WatchAlerts subscription.</summary>
internal sealed class AlertWatch(ChannelReader<WatchAlertsResponse> events, string service, Action close) : IDisposable
{
    /// <summary>State changes, the active alerts first.</summary>
    public ChannelReader<WatchAlertsResponse> Events => events;

    /// <summary>Only alerts of this service are wanted; empty = all.</summary>
    public bool Wants(WatchAlertsResponse change) => service.Length == 0 || change.Alert.Service == service;

    /// <inheritdoc />
    public void Dispose() => close();
}
