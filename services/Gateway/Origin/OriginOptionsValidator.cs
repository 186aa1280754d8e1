using System.Globalization;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Origin;

/// <summary>Checks <see cref="OriginOptions"/> at start, the pool's sizes and timeouts included.</summary>
public sealed class OriginOptionsValidator : IValidateOptions<OriginOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, OriginOptions options)
    {
        var errors = new List<string>();
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(
            options.Pool, new System.ComponentModel.DataAnnotations.ValidationContext(options.Pool), results, validateAllProperties: true))
        {
            errors.AddRange(results.Select(result => $"Origin:Pool: {result.ErrorMessage}"));
        }

        if (options.Pool.MinConnections > options.Pool.MaxConnections)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Origin:Pool:MinConnections ({options.Pool.MinConnections}) must not exceed MaxConnections ({options.Pool.MaxConnections})"));
        }

        if (!Enum.IsDefined(options.WritePolicy))
        {
            errors.Add("Origin:WritePolicy must be CacheOnly, WriteThrough or WriteBack");
        }

        if (options.WritePolicy == WritePolicy.WriteBack)
        {
            ValidateWriteBack(options, errors);
        }

        if (options.TombstoneRetention < TimeSpan.FromMinutes(1) || options.TombstoneRetention > TimeSpan.FromDays(30))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Origin:TombstoneRetention must be 1 min to 30 days (was {options.TombstoneRetention})"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateWriteBack(OriginOptions options, List<string> errors)
    {
        var writeBack = options.WriteBack;
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            errors.Add("Origin:WritePolicy WriteBack needs an origin database (Origin:Path is empty)");
        }

        if (string.IsNullOrWhiteSpace(writeBack.Path))
        {
            errors.Add("Origin:WriteBack:Path must be set (or Gateway:DataPath, whose writeback folder is the default) for WritePolicy WriteBack");
        }

        Range(errors, "MaxEntries", writeBack.MaxEntries, 1, 10_000_000, "1 to 10000000");
        Range(errors, "MaxBytes", writeBack.MaxBytes, 64L * 1024, 16L * 1024 * 1024 * 1024, "65536 (64 KiB) to 17179869184 (16 GiB)");
        Range(errors, "SegmentBytes", writeBack.SegmentBytes, 64L * 1024, 1024L * 1024 * 1024, "65536 (64 KiB) to 1073741824 (1 GiB)");
        Range(errors, "MaxBatchSize", writeBack.MaxBatchSize, 1, 10_000, "1 to 10000");
        Range(errors, "RetryBaseDelay", writeBack.RetryBaseDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1), "00:00:00.010 to 00:01:00");
        Range(errors, "MaxRetryDelay", writeBack.MaxRetryDelay, writeBack.RetryBaseDelay, TimeSpan.FromMinutes(10),
            $"RetryBaseDelay ({writeBack.RetryBaseDelay}) to 00:10:00");
        Range(errors, "LagThreshold", writeBack.LagThreshold, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), "00:00:01 to 1.00:00:00");
    }

    private static void Range<T>(List<string> errors, string field, T value, T min, T max, string limits) where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Origin:WriteBack:{field} must be {limits} (was {value})"));
        }
    }
}
