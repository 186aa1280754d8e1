namespace Microservices.Gateway.Security;

/// <summary>Who made a call: a tenant (with its rate-limit policy and conflict policy) or an administrator.</summary>
public sealed record Caller(string? Tenant, string Policy, bool IsAdmin, Caching.ConflictPolicy ConflictPolicy = Caching.ConflictPolicy.LastWriterWins);
