using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Replication;

/// <summary>
/// One entry's write to its replicas, under the rules every write follows (Put, Invalidate, Delete, each MultiPut
/// item, a cache-aside fill). The key's own replicas are the first N nodes of its preference list, live or not, and
/// only they count towards the level. An own replica that is DOWN, whose call fails, or that has no room gets a hint,
/// and the next reachable node after them (a stand-in) takes a copy in its place, for availability only; a stand-in
/// that fails is replaced by the next. A replica that answers "a newer version is stored" has not taken this write:
/// it neither counts nor gets a hint. During a membership change the key's owners under the new ring get the write
/// too (or a hint), without counting. The write is decided as soon as enough own replicas hold it (a conditional write:
/// once every own replica has answered), or when every own replica has answered (so a failure says what each did); the
/// calls still running go on. Thread-safe: outcomes
/// arrive from parallel calls.
/// </summary>
internal sealed class WriteFanOut
{
    private readonly Lock _gate = new();
    private readonly ClusterNode[] _own;
    private readonly ClusterNode[] _newOwners;
    private readonly ClusterView _view;
    private readonly HintStore _hints;
    private readonly int _required;
    private readonly ulong _keyHash;
    private readonly List<string> _acknowledged = [];
    private readonly List<string> _failures = [];
    private readonly TaskCompletionSource<ReplicaWrite> _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Queue<ClusterNode>? _standIns;
    private int _ownInFlight;
    private int _superseded;
    private PutResponse? _conflict;
    private int _conditionFailed;
    private Cache.V1.Version? _current;

    /// <param name="view">The cluster snapshot the write is planned on.</param>
    /// <param name="entry">The entry: namespaced key, stamped version.</param>
    /// <param name="keyHash">The hash of the entry's key (<see cref="KeyHash.Of"/>).</param>
    /// <param name="replicationFactor">N; a ring of fewer nodes gives each key one replica per node.</param>
    /// <param name="level">How many own replicas must hold it.</param>
    /// <param name="hints">Where writes missed by owners are kept.</param>
    public WriteFanOut(ClusterView view, Entry entry, ulong keyHash, int replicationFactor, ConsistencyLevel level, HintStore hints)
    {
        Entry = entry;
        _keyHash = keyHash;
        _own = view.Replicas(keyHash, replicationFactor);
        _required = Consistency.Required(level, _own.Length);
        _newOwners = view.PendingRing is null ? [] : [.. view.PendingOwners(keyHash, replicationFactor, _own)];
        _view = view;
        _hints = hints;
    }

    /// <summary>The entry written.</summary>
    public Entry Entry { get; }

    /// <summary>Completes when the write is decided, satisfied or not.</summary>
    public Task<ReplicaWrite> Decided => _decided.Task;

    /// <summary>
    /// Where the write goes first: the reachable own replicas and new owners, and a stand-in for each own replica
    /// that is DOWN (which gets a hint now, as does a DOWN new owner).
    /// </summary>
    public List<ClusterNode> Start()
    {
        var targets = new List<ClusterNode>(_own.Length + _newOwners.Length);
        lock (_gate)
        {
            foreach (var node in _own)
            {
                if (node.IsReachable)
                {
                    targets.Add(node);
                    _ownInFlight++;
                }
                else if (Missed(node, $"{node.Name}: DOWN") is { } standIn)
                {
                    targets.Add(standIn);
                }
            }

            foreach (var node in _newOwners)
            {
                if (node.IsReachable)
                {
                    targets.Add(node);
                }
                else
                {
                    _hints.Add(node.Name, Entry);
                }
            }

            DecideIfSettled();
        }

        return targets;
    }

    /// <summary>
    /// Records how the call to <paramref name="node"/> went: its <paramref name="reply"/>, or the
    /// <paramref name="error"/> it failed with. Returns the stand-in to send the write to next, if one is needed.
    /// </summary>
    public ClusterNode? Record(ClusterNode node, PutResponse? reply, Exception? error)
    {
        lock (_gate)
        {
            var own = Array.IndexOf(_own, node) >= 0;
            ClusterNode? next = null;
            if (own)
            {
                _ownInFlight--;
                if (reply is { Conflict: not ConflictOutcome.Unspecified })
                {
                    _conflict ??= reply;
                }
            }

            if (reply is { Applied: true })
            {
                if (own)
                {
                    _acknowledged.Add(node.Name);
                }
            }
            else if (reply is { PreconditionFailed: true })
            {
                // A conditional write whose precondition does not hold there: the replica keeps what it holds, and no
                // hint or stand-in may carry the write past it.
                if (own)
                {
                    _conditionFailed++;
                    _current = _current is null || Versions.Compare(reply.Current, _current) > 0 ? reply.Current : _current;
                    _failures.Add($"{node.Name}: precondition failed (holds {reply.Current.Timestamp}@{reply.Current.Writer})");
                }
            }
            else if (reply is { NoRoom: false })
            {
                // It holds a newer version: nothing is missing there, and nothing to hint.
                if (own)
                {
                    _superseded++;
                    _failures.Add($"{node.Name}: holds a newer version");
                }
            }
            else
            {
                var why = reply is not null || error is RpcException { StatusCode: StatusCode.ResourceExhausted }
                    ? $"{node.Name}: no room"
                    : ReplicaCalls.Describe(node, error!);
                if (Array.IndexOf(_newOwners, node) >= 0)
                {
                    _failures.Add(why);
                    _hints.Add(node.Name, Entry);
                }
                else
                {
                    // An own replica, or a stand-in in its place: the next stand-in takes the write.
                    next = own ? Missed(node, why) : Replaced(why);
                }
            }

            DecideIfSettled();
            return next;
        }
    }

    // An own replica does not hold the write: it gets a hint, and a stand-in takes its place.
    private ClusterNode? Missed(ClusterNode node, string why)
    {
        _hints.Add(node.Name, Entry);
        return Replaced(why);
    }

    // The next stand-in: the reachable nodes after the key's own replicas, in ring order (found when first needed).
    private ClusterNode? Replaced(string why)
    {
        _failures.Add(why);
        _standIns ??= new(_view.Reachable(_keyHash)
            .Where(node => !_own.Contains(node) && !_newOwners.Contains(node)));
        return _standIns.TryDequeue(out var standIn) ? standIn : null;
    }

    private void DecideIfSettled()
    {
        // A conditional write hears every own replica (or its failure) first: one that refused it may hold a
        // concurrent conditional write that it took first, which the caller then overrides (CacheService).
        if ((_acknowledged.Count >= _required && Entry.Precondition is null) || _ownInFlight == 0)
        {
            _decided.TrySetResult(new ReplicaWrite([.. _acknowledged], _required, _own.Length, [.. _failures], _superseded, _conflict)
            {
                Written = Entry.Version,
                ConditionFailed = _conditionFailed,
                Current = _current,
            });
        }
    }
}
