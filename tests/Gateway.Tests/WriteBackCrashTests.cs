using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microservices.Gateway.V1;
using Microsoft.Data.Sqlite;

namespace Microservices.Gateway.Tests;

/// <summary>
/// Write-back against a real crash: a gateway and a cache node run as processes (from their build output, on free ports
/// found at start), the gateway is killed with SIGKILL while its flusher cannot reach the origin, and started again.
/// </summary>
public sealed class WriteBackCrashTests : IDisposable
{
    private const string ApiKey = "crash-key";
    private const string AdminKey = "crash-admin-key";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"writeback-crash-{Guid.NewGuid():N}");
    private readonly List<Process> _processes = [];
    private readonly int[] _ports = FreePorts(3);

    public WriteBackCrashTests() => Directory.CreateDirectory(_folder);

    private string OriginPath => Path.Combine(_folder, "origin.db");

    public void Dispose()
    {
        foreach (var process in _processes.Where(process => !process.HasExited))
        {
            process.Kill();
            process.WaitForExit();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task AGatewayKilledMidFlushThenRestartedLeavesTheOriginWithTheLastAcknowledgedWriteOfEveryKey()
    {
        var (nodePort, gatewayPort, deadPort) = (_ports[0], _ports[1], _ports[2]);
        Start("CacheNode", nodePort, new() { ["CacheNode__NodeName"] = "node-1" });
        var gatewaySettings = new Dictionary<string, string>
        {
            ["Security__ApiKeys__0__Key"] = ApiKey,
            ["Security__ApiKeys__0__Tenant"] = "crash",
            ["Security__AdminKeys__0"] = AdminKey,
            // No rate limiter: requests are let through when it does not answer.
            ["RateLimiting__Address"] = $"http://127.0.0.1:{deadPort}",
            ["RateLimiting__FailureMode"] = "Open",
            ["Gateway__ReplicationFactor"] = "1",
            // A node's first calls are slow on a busy machine (JIT); the test is about the origin, not the node.
            ["Gateway__ReplicaTimeout"] = "00:00:05",
            ["Gateway__Nodes__0__Name"] = "node-1",
            ["Gateway__Nodes__0__Address"] = $"http://127.0.0.1:{nodePort}",
            ["Origin__Path"] = OriginPath,
            ["Origin__WritePolicy"] = "WriteBack",
            ["Origin__WriteBack__Path"] = Path.Combine(_folder, "writeback"),
            ["Origin__WriteBack__MaxBatchSize"] = "20",
            ["Origin__WriteBack__MaxRetryDelay"] = "00:00:01",
        };
        var gateway = Start("Gateway", gatewayPort, gatewaySettings);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{gatewayPort}");
        var cache = new V1.Cache.CacheClient(channel.Intercept(m => { m.Add("x-api-key", ApiKey); return m; }));
        var cluster = new V1.Cluster.ClusterClient(channel.Intercept(m => { m.Add("x-api-key", AdminKey); return m; }));
        await UntilAsync(async () => (await cluster.GetOriginStatsAsync(new GetOriginStatsRequest())).WriteBack is not null);

        // Some rounds reach the origin; then it refuses the flusher (the test holds its write lock) while more are
        // acknowledged from the log alone; then the gateway is killed with the flusher still trying.
        var acknowledged = new Dictionary<string, string>();
        await WriteRoundsAsync(cache, acknowledged, rounds: 0..3);
        await using var blocker = new SqliteConnection($"Data Source={OriginPath};Pooling=False");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();
        }

        await WriteRoundsAsync(cache, acknowledged, rounds: 3..6);
        var before = await cluster.GetOriginStatsAsync(new GetOriginStatsRequest());
        Assert.True(before.WriteBack.Depth > 0, "the log holds writes the origin does not have when the gateway is killed");
        gateway.Kill();
        await gateway.WaitForExitAsync().WaitAsync(Patience);
        await using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        Assert.NotEqual(acknowledged, ReadOrigin());

        Start("Gateway", gatewayPort, gatewaySettings);
        await UntilAsync(async () => (await cluster.GetOriginStatsAsync(new GetOriginStatsRequest())).WriteBack is { Depth: 0 });
        Assert.Equal(acknowledged, ReadOrigin());
    }

    // Writes every key once per round (8 writers, 25 keys each), remembering the last value acknowledged per key.
    private static async Task WriteRoundsAsync(V1.Cache.CacheClient cache, Dictionary<string, string> acknowledged, Range rounds)
    {
        for (var round = rounds.Start.Value; round < rounds.End.Value; round++)
        {
            var written = await Task.WhenAll(Enumerable.Range(0, 8).Select(async writer =>
            {
                var mine = new List<(string, string)>();
                for (var k = 0; k < 25; k++)
                {
                    var (key, value) = ($"w{writer}:k{k}", $"round {round}");
                    await PutAsync(cache, key, value);
                    mine.Add((key, value));
                }

                return mine;
            }));
            foreach (var (key, value) in written.SelectMany(mine => mine))
            {
                acknowledged[key] = value;
            }
        }
    }

    // A Put, tried again with the same value when the node was too slow: an unacknowledged write may still reach
    // the origin (it was logged), so each key's last write must end acknowledged for the comparison to be exact.
    private static async Task PutAsync(V1.Cache.CacheClient cache, string key, string value)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await cache.PutAsync(new PutRequest { Key = key, Text = value }, deadline: DateTime.UtcNow.AddSeconds(20));
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && attempt < 5)
            {
            }
        }
    }

    private Dictionary<string, string> ReadOrigin()
    {
        using var connection = new SqliteConnection($"Data Source={OriginPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, CAST(value AS TEXT) FROM entries WHERE tenant = 'crash' AND deleted = 0;";
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, string>();
        while (reader.Read())
        {
            rows[reader.GetString(0)] = reader.GetString(1);
        }

        return rows;
    }

    // Runs a service from its build output (the same configuration as these tests), as the benchmark scripts do.
    private Process Start(string service, int port, Dictionary<string, string> settings)
    {
        var output = Path.GetDirectoryName(typeof(WriteBackCrashTests).Assembly.Location)!;
        var configuration = new DirectoryInfo(output).Parent!.Name;
        var root = new DirectoryInfo(output);
        while (!File.Exists(Path.Combine(root.FullName, "Microservices.sln")))
        {
            root = root.Parent!;
        }

        var bin = Path.Combine(root.FullName, "services", service, "bin", configuration, "net10.0");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(bin, $"{service}.dll"), "--contentRoot", bin, "--urls", $"http://127.0.0.1:{port}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["ClusterAuth__Key"] = "crash-cluster-key",
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
            },
        };
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, "the gateway did not get there in time");
            await Task.Delay(200);
        }
    }

    // Ports of 21350-21399 that nothing listens on now.
    private static int[] FreePorts(int count)
    {
        var free = new List<int>();
        for (var port = 21350; port < 21400 && free.Count < count; port++)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                free.Add(port);
            }
            catch (SocketException)
            {
            }
        }

        return [.. free];
    }
}
