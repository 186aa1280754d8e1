using System.Diagnostics;
using Grpc.Core;

namespace Microservices.TestSupport.History;

/// <summary>
/// Records the operations of concurrent clients: each call's invocation and completion time on one monotonic clock
/// (<see cref="Stopwatch"/> ticks), key, value and outcome. Thread-safe. <see cref="Origin"/> is when recording
/// began; reports print times relative to it.
/// </summary>
public sealed class HistoryRecorder
{
    private readonly Lock _gate = new();
    private readonly List<Operation> _operations = [];

    /// <summary>When recording began, in <see cref="Stopwatch"/> ticks.</summary>
    public long Origin { get; } = Stopwatch.GetTimestamp();

    /// <summary>The operations completed so far, in order of completion.</summary>
    public IReadOnlyList<Operation> Operations
    {
        get
        {
            lock (_gate)
            {
                return [.. _operations];
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> of the unique <paramref name="value"/> and records it; the call returns the
    /// version it stored. Returns the outcome; never throws what the call throws as an <see cref="RpcException"/>.
    /// </summary>
    public async Task<Outcome> WriteAsync(int client, string key, string value, Func<Task<long?>> write)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            var version = await write().ConfigureAwait(false);
            Add(client, key, OperationKind.Write, value, Outcome.Ok, invoked, version);
            return Outcome.Ok;
        }
        catch (RpcException ex)
        {
            var outcome = OutcomeOf(ex.StatusCode);
            Add(client, key, OperationKind.Write, value, outcome, invoked, null);
            return outcome;
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/> and records it; the call returns the value read (null = absent) and its version.
    /// Returns the outcome; never throws what the call throws as an <see cref="RpcException"/>.
    /// </summary>
    public async Task<Outcome> ReadAsync(int client, string key, Func<Task<(string? Value, long? Version)>> read)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            var (value, version) = await read().ConfigureAwait(false);
            Add(client, key, OperationKind.Read, value, Outcome.Ok, invoked, version);
            return Outcome.Ok;
        }
        catch (RpcException ex)
        {
            var outcome = OutcomeOf(ex.StatusCode);
            Add(client, key, OperationKind.Read, null, outcome, invoked, null);
            return outcome;
        }
    }

    /// <summary>
    /// Failed only for statuses that prove the request was refused before it reached a replica (bad input, no or
    /// wrong credentials); every other status, UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, CANCELLED, INTERNAL and
    /// RESOURCE_EXHAUSTED included, leaves a write indeterminate. Calling a failed write indeterminate only weakens the
    /// check; the reverse would report anomalies that are not there.
    /// </summary>
    public static Outcome OutcomeOf(StatusCode status) => status switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.Unauthenticated or StatusCode.PermissionDenied => Outcome.Failed,
        _ => Outcome.Indeterminate,
    };

    private void Add(int client, string key, OperationKind kind, string? value, Outcome outcome, long invoked, long? version)
    {
        var completed = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _operations.Add(new Operation(_operations.Count, client, key, kind, value, outcome, invoked, completed, version));
        }
    }
}
