namespace Microservices.Gateway.Origin;

/// <summary>The origin database behind the cache (section <c>Origin</c>).</summary>
public sealed class OriginOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Origin";

    /// <summary>
    /// SQLite database file, absolute or relative to the content root; created with its folder when missing.
    /// Empty = no origin: misses stay misses and Delete answers FAILED_PRECONDITION. The AppHost sets
    /// <c>.data/origin.db</c> under the repository root.
    /// </summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>What a Put does with the origin. Default <see cref="WritePolicy.CacheOnly"/>.</summary>
    public WritePolicy WritePolicy { get; set; } = WritePolicy.CacheOnly;

    /// <summary>
    /// How long a deleted row is kept as a tombstone (its version), so that a write older than the delete that
    /// reaches the origin late is refused instead of bringing the row back. 1 min to 30 days; default 1 h.
    /// </summary>
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The write-back log, when <see cref="WritePolicy"/> is <see cref="WritePolicy.WriteBack"/>.</summary>
    public WriteBack.WriteBackOptions WriteBack { get; set; } = new();

    /// <summary>The connection pool: the only way the gateway reaches the database.</summary>
    public ConnectionPoolOptions Pool { get; set; } = new();
}

/// <summary>What a Put does with the origin database.</summary>
public enum WritePolicy
{
    /// <summary>Puts write the cache only (the seed's put); the origin is read on misses.</summary>
    CacheOnly,

    /// <summary>
    /// Puts are stamped with their version, write the origin (in a transaction, each row only over an older
    /// version), then the cache; if the origin fails the cache is untouched.
    /// </summary>
    WriteThrough,

    /// <summary>
    /// Puts are stamped, appended to a durable log on the gateway's disk (fsync'd, in groups), then written to the
    /// cache; a background flusher writes the log to the origin in batches, each row only over an older version.
    /// </summary>
    WriteBack,
}
