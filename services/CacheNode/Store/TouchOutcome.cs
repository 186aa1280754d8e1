namespace Microservices.CacheNode.Store;

/// <summary>What <see cref="CacheStore.Touch"/> did.</summary>
public enum TouchOutcome
{
    /// <summary>The version was live; it now expires at the time asked, or later.</summary>
    Extended,

    /// <summary>The key has no live value (absent, deleted or expired); nothing changed.</summary>
    NotFound,

    /// <summary>The key holds another version; nothing changed.</summary>
    VersionMismatch,
}
