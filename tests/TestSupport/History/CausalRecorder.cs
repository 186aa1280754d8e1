using System.Diagnostics;
using Grpc.Core;

namespace Microservices.TestSupport.History;

/// <summary>
/// Records a history for <see cref="SiblingsChecker"/> and <see cref="LastWriterWins"/>: each write with the gateway
/// it went through and the causal context it sent (<see cref="CausalWrite"/>), each successful read with every value
/// it returned (<see cref="SiblingsRead"/>), on one monotonic clock (<see cref="Stopwatch"/> ticks since
/// <see cref="Origin"/>); failed reads are only counted. Ids follow completion. Thread-safe.
/// </summary>
public sealed class CausalRecorder
{
    private readonly Lock _gate = new();
    private readonly List<CausalWrite> _writes = [];
    private readonly List<SiblingsRead> _reads = [];
    private int _ids;

    /// <summary>When recording began, in <see cref="Stopwatch"/> ticks.</summary>
    public long Origin { get; } = Stopwatch.GetTimestamp();

    /// <summary>The writes completed so far.</summary>
    public IReadOnlyList<CausalWrite> Writes
    {
        get
        {
            lock (_gate)
            {
                return [.. _writes];
            }
        }
    }

    /// <summary>The successful reads completed so far.</summary>
    public IReadOnlyList<SiblingsRead> Reads
    {
        get
        {
            lock (_gate)
            {
                return [.. _reads];
            }
        }
    }

    /// <summary>Reads that failed (they tell nothing).</summary>
    public int FailedReads { get; private set; }

    /// <summary>
    /// Runs <paramref name="write"/> of the unique <paramref name="value"/> through gateway <paramref name="writer"/>,
    /// sending <paramref name="context"/>, and records it; the call returns the version's writer and hybrid timestamp.
    /// The outcome is <see cref="HistoryRecorder.OutcomeOf"/> the status of an <see cref="RpcException"/>, never thrown.
    /// </summary>
    public async Task<Outcome> WriteAsync(
        int client, string key, string value, string writer, IReadOnlyDictionary<string, long> context, Func<Task<(string Writer, long Timestamp)>> write)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            var version = await write().ConfigureAwait(false);
            Add(id => _writes.Add(new CausalWrite(id, client, key, value, version.Writer, context, Outcome.Ok, invoked, Stopwatch.GetTimestamp(), version.Timestamp)));
            return Outcome.Ok;
        }
        catch (RpcException ex)
        {
            var outcome = HistoryRecorder.OutcomeOf(ex.StatusCode);
            Add(id => _writes.Add(new CausalWrite(id, client, key, value, writer, context, outcome, invoked, Stopwatch.GetTimestamp(), null)));
            return outcome;
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/> (every value it returned: the siblings, the one value, or none when absent) and
    /// records it when it succeeds. Returns false when it failed with an <see cref="RpcException"/> (not thrown).
    /// </summary>
    public async Task<bool> ReadAsync(int client, string key, Func<Task<IReadOnlyList<string>>> read)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            var values = await read().ConfigureAwait(false);
            Add(id => _reads.Add(new SiblingsRead(id, client, key, values, invoked, Stopwatch.GetTimestamp())));
            return true;
        }
        catch (RpcException)
        {
            Add(_ => FailedReads++);
            return false;
        }
    }

    private void Add(Action<int> record)
    {
        lock (_gate)
        {
            record(_ids++);
        }
    }
}
