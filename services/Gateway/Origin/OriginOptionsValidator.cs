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
            errors.Add("Origin:WritePolicy must be CacheOnly or WriteThrough");
        }

        if (options.TombstoneRetention < TimeSpan.FromMinutes(1) || options.TombstoneRetention > TimeSpan.FromDays(30))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Origin:TombstoneRetention must be 1 min to 30 days (was {options.TombstoneRetention})"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
