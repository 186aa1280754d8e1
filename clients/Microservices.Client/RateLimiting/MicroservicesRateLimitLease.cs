using System.Threading.RateLimiting;

namespace Microservices.Client.RateLimiting;

/// <summary>
/// A lease from <see cref="MicroservicesRateLimiter"/>. A refused lease carries <see cref="MetadataName.RetryAfter"/>
/// (a <see cref="TimeSpan"/>: until the permits asked for would be available) and <see cref="MetadataName.ReasonPhrase"/>
/// (who decided: "limiter", "local", or why nobody could).
/// </summary>
internal sealed class MicroservicesRateLimitLease(bool acquired, TimeSpan retryAfter, string reason) : RateLimitLease
{
    public static readonly MicroservicesRateLimitLease Acquired = new(true, TimeSpan.Zero, "limiter");

    public override bool IsAcquired { get; } = acquired;

    public override IEnumerable<string> MetadataNames =>
        IsAcquired ? [MetadataName.ReasonPhrase.Name] : [MetadataName.RetryAfter.Name, MetadataName.ReasonPhrase.Name];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (!IsAcquired && metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = retryAfter;
            return true;
        }

        if (metadataName == MetadataName.ReasonPhrase.Name)
        {
            metadata = reason;
            return true;
        }

        metadata = null;
        return false;
    }
}
