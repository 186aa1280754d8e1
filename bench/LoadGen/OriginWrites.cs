using System.Diagnostics;
using System.Globalization;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microservices.Gateway.V1;

namespace Microservices.LoadGen;

/// <summary>The gateway's origin writes over one run, from its GetOriginStats (admin key) before and after.</summary>
internal sealed class OriginWrites
{
    private readonly Cluster.ClusterClient _client;
    private readonly GetOriginStatsResponse _before;
    private readonly long _started = Stopwatch.GetTimestamp();

    private OriginWrites(Cluster.ClusterClient client, GetOriginStatsResponse before)
    {
        _client = client;
        _before = before;
    }

    public static async Task<OriginWrites> StartAsync(GrpcChannel channel, string adminKey)
    {
        var client = new Cluster.ClusterClient(channel.Intercept(metadata =>
        {
            metadata.Add("x-api-key", adminKey);
            return metadata;
        }));
        return new OriginWrites(client, await client.GetOriginStatsAsync(new GetOriginStatsRequest()));
    }

    /// <summary>"  origin 1,234 tx/s 5,678 rows/s" and, under write-back, the log's depth now.</summary>
    public async Task<string> DescribeAsync()
    {
        var after = await _client.GetOriginStatsAsync(new GetOriginStatsRequest());
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var transactions = (after.WriteTransactions - _before.WriteTransactions) / seconds;
        var rows = (after.RowsWritten - _before.RowsWritten) / seconds;
        var depth = after.WriteBack is { } log ? $"  write-back depth {log.Depth:N0}, lag {log.Lag.ToTimeSpan().TotalSeconds:F1} s" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"  origin {transactions:N0} tx/s {rows:N0} rows/s{depth}");
    }
}
