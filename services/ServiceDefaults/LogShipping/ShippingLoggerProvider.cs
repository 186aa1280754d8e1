using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Microservices.Logs.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// Ships warnings and errors logged through ILogger to the collector, with their category and trace id. The
/// shipper's own categories are left out so that a failing collector cannot feed itself.
/// </summary>
[ProviderAlias("LogShipping")]
public sealed class ShippingLoggerProvider(LogOutbox queue, TimeProvider time) : ILoggerProvider
{
    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith(typeof(ShippingLoggerProvider).Namespace!, StringComparison.Ordinal)
            || categoryName.StartsWith("Grpc.Net.Client", StringComparison.Ordinal)
            ? NullLogger.Instance
            : new ShippingLogger(categoryName, queue, time);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class ShippingLogger(string category, LogOutbox queue, TimeProvider time) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Warning and < LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (exception is not null)
            {
                message = $"{message} ({exception.GetType().Name}: {exception.Message})";
            }

            var entry = new LogEntry
            {
                Timestamp = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
                Level = logLevel switch
                {
                    LogLevel.Warning => Level.Warn,
                    LogLevel.Error => Level.Error,
                    _ => Level.Fatal,
                },
                Service = queue.Service,
                Message = TextCut.ToUtf8Bytes(message, LogEntryLimits.MaxMessageBytes),
                TraceId = Activity.Current?.TraceId.ToHexString() ?? string.Empty,
            };
            entry.Attributes.Add("category", category);
            queue.Add(entry);
        }
    }
}
