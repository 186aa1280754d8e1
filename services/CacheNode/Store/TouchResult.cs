namespace Microservices.CacheNode.Store;

/// <summary>The outcome of a touch.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Current">The version stored, live or not; null when the key is absent.</param>
/// <param name="ExpiresAtMs">When <see cref="TouchOutcome.Extended"/>: the value's expiry (unix ms); otherwise 0.</param>
public readonly record struct TouchResult(TouchOutcome Outcome, EntryVersion? Current, long ExpiresAtMs);
