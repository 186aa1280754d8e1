using System.ComponentModel.DataAnnotations;

namespace Microservices.Gateway.Origin;

/// <summary>Sizes and timeouts of a <see cref="ConnectionPool{T}"/>.</summary>
public sealed class ConnectionPoolOptions
{
    /// <summary>Connections kept open and warm, even when idle. Default 2.</summary>
    [Range(0, 1000)]
    public int MinConnections { get; set; } = 2;

    /// <summary>Most connections open at once. Default 10.</summary>
    [Range(1, 1000)]
    public int MaxConnections { get; set; } = 10;

    /// <summary>Idle connections above the minimum are closed after this long. Default 300 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxIdleTime { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>A connection older than this is closed when it is next returned or found idle. Default 30 min.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long an acquire may wait for a connection before it fails. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan AcquireTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often idle and old connections are closed and the minimum restored. Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(1);
}
