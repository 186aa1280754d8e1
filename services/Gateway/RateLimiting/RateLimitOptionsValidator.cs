using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.RateLimiting;

/// <summary>Checks <see cref="RateLimitOptions"/> at start, each local policy included.</summary>
public sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var errors = new List<string>();
        Check(options, "RateLimiting", errors);
        foreach (var (policy, limits) in options.Policies)
        {
            Check(limits, $"RateLimiting:Policies:{policy}", errors);
        }

        if (!Enum.IsDefined(options.FailureMode))
        {
            errors.Add("RateLimiting:FailureMode must be Local, Closed or Open");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(object options, string section, List<string> errors)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            errors.AddRange(results.Select(result => $"{section}: {result.ErrorMessage}"));
        }
    }
}
