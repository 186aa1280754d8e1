using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Membership;

/// <summary>
/// Keeps the ring's nodes (name, address, weight) and the epoch of their cluster configuration in
/// <c>{Gateway:DataPath}/topology.json</c> after every membership change and gives them back at start, when the file
/// belongs to the same <see cref="GatewayOptions.ClusterEpoch"/>. It is this gateway's copy of the newest
/// configuration it knows: a restarted gateway routes by it until it has read the nodes', and gives it back to nodes
/// that restarted empty. Written to a
/// temporary file and renamed, so a crash leaves the old topology or the new one, never half of one.
/// </summary>
public sealed partial class TopologyStore(IOptions<GatewayOptions> options, IHostEnvironment environment, ILogger<TopologyStore> logger)
{
    private readonly string? _path = options.Value.DataPath.Length == 0
        ? null
        : Path.Combine(Path.GetFullPath(options.Value.DataPath, environment.ContentRootPath), "topology.json");

    private readonly string _epoch = options.Value.ClusterEpoch;

    /// <summary>The kept topology, or null when there is no file (or it is of another epoch, or unreadable).</summary>
    public KeptTopology? Load()
    {
        if (_path is null || !File.Exists(_path))
        {
            return null;
        }

        try
        {
            var kept = JsonSerializer.Deserialize(File.ReadAllText(_path), TopologyJson.Default.KeptTopology);
            if (kept is null || kept.Epoch != _epoch || kept.Nodes.Count == 0)
            {
                return null;
            }

            if (NodeRules.CheckNodes(kept.Nodes, "nodes") is [var error, ..])
            {
                LogUnreadable(logger, _path, error);
                return null;
            }

            LogLoaded(logger, _path, kept.Nodes.Count);
            return kept;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            LogUnreadable(logger, _path, ex.Message);
            return null;
        }
    }

    /// <summary>Keeps the nodes of <paramref name="view"/>.</summary>
    public void Save(ClusterView view)
    {
        if (_path is null)
        {
            return;
        }

        var kept = new KeptTopology(_epoch, [.. view.Nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => new NodeOptions { Name = n.Name, Address = n.Address.ToString(), Weight = view.Ring.WeightOf(n.Name) })], view.Epoch);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temporary = _path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(kept, TopologyJson.Default.KeptTopology));
            File.Move(temporary, _path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The change itself took effect; only a restart would forget it.
            LogNotSaved(logger, _path, ex.Message);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Topology could not be kept in {Path} ({Reason}); a restarted gateway starts from the configured nodes")]
    private static partial void LogNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(LogLevel.Information, "Topology loaded from {Path}: {Count} nodes")]
    private static partial void LogLoaded(ILogger logger, string path, int count);

    [LoggerMessage(LogLevel.Warning, "Kept topology {Path} is unreadable ({Reason}); starting from the configured nodes")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);
}

/// <summary>The file's content: the cluster run (<see cref="GatewayOptions.ClusterEpoch"/>), the nodes, and the configuration epoch.</summary>
public sealed record KeptTopology(string Epoch, List<NodeOptions> Nodes, ulong ConfigEpoch = 0);

/// <summary>Source-generated JSON for <see cref="KeptTopology"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(KeptTopology))]
internal sealed partial class TopologyJson : JsonSerializerContext;
