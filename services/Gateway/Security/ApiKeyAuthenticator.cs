using System.Collections.Frozen;
using Grpc.Core;
using Microservices.ServiceDefaults;
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
            callers[key.Key] = new Caller(key.Tenant, key.Policy, IsAdmin: false, key.ConflictPolicy);
        }

        foreach (var key in options.Value.AdminKeys)
        {
            callers[key] = new Caller(null, "default", IsAdmin: true);
        }

        _callers = callers.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// The caller of a call. UNAUTHENTICATED when the call has no key ("an API key is required") or one that is not
    /// configured ("unknown API key"), so a mistyped key reads differently from a forgotten one.
    /// </summary>
    public Caller Authenticate(Metadata headers)
    {
        var key = headers.GetValue("x-api-key");
        if (key is null && headers.GetValue("authorization") is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization["Bearer ".Length..].Trim();
        }

        if (string.IsNullOrEmpty(key))
        {
            RpcErrors.Throw(StatusCode.Unauthenticated, "an API key is required: send it in the x-api-key metadata");
        }

        if (!_callers.TryGetValue(key, out var caller))
        {
            RpcErrors.Throw(StatusCode.Unauthenticated, "unknown API key: the x-api-key metadata holds no configured key");
        }

        return caller;
    }
}
