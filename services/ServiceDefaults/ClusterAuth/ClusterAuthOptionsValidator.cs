using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microservices.ServiceDefaults.ClusterAuth;

/// <summary>
/// Checks the keys at start: well formed, application keys apart from the cluster key, and some key to check outside
/// Development unless <see cref="ClusterAuthOptions.AllowAnonymous"/> says the service is open on purpose.
/// </summary>
internal sealed class ClusterAuthOptionsValidator(IHostEnvironment environment, bool acceptsApplicationKeys) : IValidateOptions<ClusterAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterAuthOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.Key) && !IsWellFormed(options.Key))
        {
            failures.Add($"ClusterAuth:Key must be 1 to {ClusterAuthOptions.MaxKeyLength} printable ASCII characters");
        }

        foreach (var key in options.ApplicationKeys)
        {
            if (!IsWellFormed(key) || key == options.Key)
            {
                failures.Add($"ClusterAuth:ApplicationKeys: each must be 1 to {ClusterAuthOptions.MaxKeyLength} printable ASCII characters and differ from ClusterAuth:Key");
            }
        }

        if (IsOpen(options, acceptsApplicationKeys) && !options.AllowAnonymous && !environment.IsDevelopment())
        {
            failures.Add("ClusterAuth:Key must be set outside Development (or ClusterAuth:AllowAnonymous=true to answer every caller)");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>True when a service has no key to check, so it answers every caller.</summary>
    public static bool IsOpen(ClusterAuthOptions options, bool acceptsApplicationKeys) =>
        string.IsNullOrEmpty(options.Key) && (!acceptsApplicationKeys || options.ApplicationKeys.Count == 0);

    private static bool IsWellFormed(string key) =>
        key.Length is > 0 and <= ClusterAuthOptions.MaxKeyLength && key.All(c => c is > ' ' and <= '~');
}
