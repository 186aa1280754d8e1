using System.Globalization;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector;

/// <summary>Ingest limits and window sizes, bound from the <c>LogCollector</c> section.</summary>
public sealed class LogCollectorOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "LogCollector";

    /// <summary>How far back windows reach; entries older than this are rejected. Whole seconds, 1 s to 24 h.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Window used by queries and rules that do not name one. At most <see cref="Retention"/>.</summary>
    public TimeSpan WindowSize { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How far in the future an entry's timestamp may be (clock skew between machines); 0 to 1 h.</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Services tracked one by one; entries of further services count only in the overall figures.</summary>
    public int MaxServices { get; set; } = 1000;

    /// <summary>Distinct error messages counted exactly per service and second; beyond it, Space-Saving.</summary>
    public int MaxErrorMessagesPerSecond { get; set; } = 32;

    /// <summary>Distinct error messages held over all services and seconds; beyond it, seconds stop growing.</summary>
    public int MaxTrackedErrorMessages { get; set; } = 200_000;

    /// <summary>
    /// Bytes the windows may hold together (seconds, histogram cells, error-message counters, service windows), as
    /// laid out on the heap. Near it, old seconds get coarser histograms, then fewer messages, then new services
    /// are refused, then the oldest seconds are freed early; it is never exceeded. Default 64 MiB; at least 64 KiB.
    /// </summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Longest batch, in serialized bytes (the entry count is limited to 1000 separately).</summary>
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;
}

/// <summary>Checks <see cref="LogCollectorOptions"/> at start.</summary>
public sealed class LogCollectorOptionsValidator : IValidateOptions<LogCollectorOptions>
{
    /// <summary>Smallest <see cref="LogCollectorOptions.MaxBytes"/>: room for the overall window and a few services.</summary>
    public const long MinMaxBytes = 64 * 1024;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LogCollectorOptions options)
    {
        var errors = new List<string>();
        if (options.Retention < TimeSpan.FromSeconds(1) || options.Retention > TimeSpan.FromHours(24)
            || options.Retention.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"LogCollector:Retention must be whole seconds from 1 s to 24 h, got {options.Retention}"));
        }

        if (options.WindowSize < TimeSpan.FromSeconds(1) || options.WindowSize > options.Retention)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"LogCollector:WindowSize must be from 1 s to Retention ({options.Retention}), got {options.WindowSize}"));
        }

        // Each window holds a slot per second of the retention and the skew: a long skew would cost memory per service.
        if (options.MaxFutureSkew < TimeSpan.Zero || options.MaxFutureSkew > TimeSpan.FromHours(1))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"LogCollector:MaxFutureSkew must be from 0 to 1 h, got {options.MaxFutureSkew}"));
        }

        if (options.MaxServices < 1)
        {
            errors.Add("LogCollector:MaxServices must be at least 1");
        }

        if (options.MaxErrorMessagesPerSecond < 1 || options.MaxTrackedErrorMessages < 1)
        {
            errors.Add("LogCollector:MaxErrorMessagesPerSecond and MaxTrackedErrorMessages must be at least 1");
        }

        if (options.MaxBytes < MinMaxBytes)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"LogCollector:MaxBytes must be at least {MinMaxBytes} (64 KiB), got {options.MaxBytes}"));
        }

        if (options.MaxBatchBytes < 1024)
        {
            errors.Add("LogCollector:MaxBatchBytes must be at least 1024");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
