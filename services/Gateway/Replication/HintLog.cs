using System.IO.Hashing;
using System.Text;
using Google.Protobuf;
using Microservices.Cache.V1;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Keeps each node's hints on disk, in <c>{Gateway:DataPath}/hints/</c>, so a restarted gateway of the same
/// <see cref="GatewayOptions.ClusterEpoch"/> still delivers them. A file holds its epoch and node, then the hinted
/// entries length-prefixed; a hint is appended (and flushed to the operating system) when it is kept, and the file
/// is rewritten with what is left after a replay, or deleted when nothing is. Replaying a hint twice is harmless:
/// a node keeps the newer version. Without a data path nothing is kept. Not thread-safe: <see cref="HintStore"/>
/// calls it under its lock.
/// </summary>
public sealed partial class HintLog : IDisposable
{
    private const string Magic = "microservices-gateway-hints-1";

    private readonly string? _folder;
    private readonly string _epoch;
    private readonly ILogger<HintLog> _logger;
    private readonly Dictionary<string, FileStream> _files = new(StringComparer.Ordinal);
    private bool _warned;

    public HintLog(IOptions<GatewayOptions> options, IHostEnvironment environment, ILogger<HintLog> logger)
    {
        _folder = options.Value.DataPath.Length == 0
            ? null
            : Path.Combine(Path.GetFullPath(options.Value.DataPath, environment.ContentRootPath), "hints");
        _epoch = options.Value.ClusterEpoch;
        _logger = logger;
    }

    /// <summary>
    /// The kept hints of this epoch, by node, oldest first. Files of another epoch are deleted: their cluster's
    /// nodes are gone. A record cut short by a crash ends its file's hints.
    /// </summary>
    public Dictionary<string, List<Entry>> Load()
    {
        var kept = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        if (_folder is null || !Directory.Exists(_folder))
        {
            return kept;
        }

        foreach (var path in Directory.EnumerateFiles(_folder, "*.hints"))
        {
            try
            {
                using var stream = File.OpenRead(path);
                using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
                if (reader.ReadString() != Magic || reader.ReadString() != _epoch)
                {
                    stream.Dispose();
                    File.Delete(path);
                    continue;
                }

                var node = reader.ReadString();
                var entries = new List<Entry>();
                while (stream.Position < stream.Length && TryRead(stream) is { } entry)
                {
                    entries.Add(entry);
                }

                kept[node] = entries;
                LogLoaded(_logger, entries.Count, node, path);
            }
            catch (Exception ex) when (ex is IOException or EndOfStreamException or UnauthorizedAccessException)
            {
                LogUnreadable(_logger, path, ex.Message);
            }
        }

        return kept;
    }

    /// <summary>Appends <paramref name="entry"/> to <paramref name="node"/>'s file.</summary>
    public void Append(string node, Entry entry)
    {
        Write(node, () =>
        {
            var file = Open(node, truncate: false);
            entry.WriteDelimitedTo(file);
            file.Flush();
        });
    }

    /// <summary>Replaces <paramref name="node"/>'s file with <paramref name="entries"/>; none deletes it.</summary>
    public void Rewrite(string node, IReadOnlyCollection<Entry> entries)
    {
        Write(node, () =>
        {
            if (entries.Count == 0)
            {
                Close(node);
                File.Delete(PathOf(node));
                return;
            }

            var file = Open(node, truncate: true);
            foreach (var entry in entries)
            {
                entry.WriteDelimitedTo(file);
            }

            file.Flush();
        });
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            file.Dispose();
        }

        _files.Clear();
    }

    private static Entry? TryRead(Stream stream)
    {
        try
        {
            return Entry.Parser.ParseDelimitedFrom(stream);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    // A failure to keep a hint on disk never fails the write: the hint stays in memory, and a warning says so once.
    private void Write(string node, Action write)
    {
        if (_folder is null)
        {
            return;
        }

        try
        {
            write();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Close(node);
            if (!_warned)
            {
                _warned = true;
                LogNotKept(_logger, _folder, ex.Message);
            }
        }
    }

    private FileStream Open(string node, bool truncate)
    {
        if (truncate)
        {
            Close(node);
        }
        else if (_files.TryGetValue(node, out var open))
        {
            return open;
        }

        Directory.CreateDirectory(_folder!);
        var file = new FileStream(PathOf(node), truncate ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        if (file.Length == 0)
        {
            using var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(_epoch);
            writer.Write(node);
        }

        file.Seek(0, SeekOrigin.End);
        _files[node] = file;
        return file;
    }

    private void Close(string node)
    {
        if (_files.Remove(node, out var file))
        {
            file.Dispose();
        }
    }

    // Node names may hold any character; the file is named by a hash of the name, which the file itself keeps.
    private string PathOf(string node) =>
        Path.Combine(_folder!, $"{XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(node)):x16}.hints");

    [LoggerMessage(LogLevel.Information, "Loaded {Count} hints for {Node} from {Path}")]
    private static partial void LogLoaded(ILogger logger, int count, string node, string path);

    [LoggerMessage(LogLevel.Warning, "Hints file {Path} is unreadable ({Reason}); its hints are skipped")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(LogLevel.Warning, "Hints cannot be kept in {Folder} ({Reason}); they stay in memory only, and a restart loses them")]
    private static partial void LogNotKept(ILogger logger, string folder, string reason);
}
