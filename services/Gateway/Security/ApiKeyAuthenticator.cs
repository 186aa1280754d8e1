using System.Collections.Frozen;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Security;

/// <summary>Maps the API key of a call (<c>x-api-key</c>, or <c>authorization: Bearer</c>) to its caller.</summary>
public sealed class ApiKeyAuthenticator
{
    private readonly FrozenDictionary<string, Caller> _callers;

    /// <summary>Indexes the configured keys.</summary>
    public ApiKeyAuthenticator(IOptions<SecurityOptions> options)
    {
        var callers = new Dictionary<string, Caller>(StringComparer.Ordinal);
        foreach (var key in options.Value.ApiKeys)
        {
            callers[key.Key] = new Caller(key.Tenant, key.Policy, IsAdmin: false);
        }

        foreach (var key in options.Value.AdminKeys)
        {
            callers[key] = new Caller(null, "default", IsAdmin: true);
        }

        _callers = callers.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The caller, or null when the call has no key or an unknown one.</summary>
    public Caller? Authenticate(Metadata headers)
    {
        var key = headers.GetValue("x-api-key");
        if (key is null && headers.GetValue("authorization") is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization["Bearer ".Length..].Trim();
        }

        return string.IsNullOrEmpty(key) ? null : _callers.GetValueOrDefault(key);
    }
}
