namespace Microservices.TestSupport.History;

/// <summary>
/// The search for a linearization of one register's history: Wing and Gong's algorithm ("Testing and verifying
/// concurrent objects", J. Parallel Distrib. Comput. 17, 1993) with Lowe's memoisation of visited configurations
/// ("Testing for linearizability", Concurrency and Computation 29(4), 2017), the approach of Knossos (Jepsen) and
/// Porcupine (Athalye). Written here from the papers.
/// <para>
/// The history is a list of call and return events in time order. The search walks it from the front: at a call it
/// tries to linearize that operation now (the register allows it: any write; a read of the current value), then
/// lifts the operation's two events out and starts again from the front; at a return, the operation returning was
/// not linearized before it, so the last choice is undone (backtracking) and the next candidate after it tried. A
/// configuration (set of linearized operations, register value) already explored is not explored again.
/// Indeterminate writes have no return event: they may be linearized any time after their call, or never, and the
/// search succeeds once every operation that completed is linearized. Time ties put calls first (the operations
/// count as concurrent: the lenient reading).
/// </para>
/// </summary>
internal sealed class RegisterSearch
{
    private readonly Operation[] _operations;
    private readonly int[] _values;
    private readonly Event _head = new(-1, isCall: false);
    private readonly Event[] _calls;
    private readonly int _mustLinearize;

    // Operations: Ok writes, Indeterminate writes and Ok reads of one key. Values: the register's value that
    // each writes or reads as a small number, 0 = absent.
    public RegisterSearch(IReadOnlyList<Operation> operations)
    {
        _operations = [.. operations];
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        _values = [.. _operations.Select(op => op.Value is null ? 0 : numbers.TryGetValue(op.Value, out var n) ? n : numbers[op.Value] = numbers.Count + 1)];

        var events = new List<(long Time, int Order, Event Event)>();
        _calls = new Event[_operations.Length];
        for (var i = 0; i < _operations.Length; i++)
        {
            var op = _operations[i];
            _calls[i] = new Event(i, isCall: true);
            events.Add((op.Invoked, 0, _calls[i]));
            if (op.Outcome == Outcome.Ok)
            {
                _mustLinearize++;
                _calls[i].Return = new Event(i, isCall: false);
                events.Add((op.Completed, 1, _calls[i].Return!));
            }
        }

        var previous = _head;
        foreach (var (_, _, e) in events.OrderBy(e => e.Time).ThenBy(e => e.Order).ThenBy(e => e.Event.Operation))
        {
            previous.Next = e;
            e.Previous = previous;
            previous = e;
        }
    }

    /// <summary>Configurations explored (the memo's size) by the last <see cref="Run"/>.</summary>
    public int States { get; private set; }

    /// <summary>Searches, exploring at most <paramref name="maxStates"/> configurations.</summary>
    public Verdict Run(int maxStates)
    {
        var linearized = new ulong[(_operations.Length + 63) / 64];
        var seen = new HashSet<Configuration>();
        var stack = new Stack<(Event Call, int State)>();
        var state = 0;
        var remaining = _mustLinearize;
        var entry = _head.Next;
        while (remaining > 0)
        {
            if (entry is { IsCall: true })
            {
                var op = entry.Operation;
                var isWrite = _operations[op].Kind == OperationKind.Write;
                if (isWrite || _values[op] == state)
                {
                    var next = isWrite ? _values[op] : state;
                    linearized[op / 64] |= 1UL << (op % 64);
                    if (seen.Add(new Configuration([.. linearized], next)))
                    {
                        if (seen.Count > maxStates)
                        {
                            States = seen.Count;
                            return Verdict.Unknown;
                        }

                        stack.Push((entry, state));
                        state = next;
                        remaining -= entry.Return is null ? 0 : 1;
                        Lift(entry);
                        entry = _head.Next;
                        continue;
                    }

                    linearized[op / 64] &= ~(1UL << (op % 64));
                }

                entry = entry.Next;
                continue;
            }

            // A return (or the end of the list): what returns here was not linearized, so undo the last choice.
            if (!stack.TryPop(out var last))
            {
                States = seen.Count;
                return Verdict.NotLinearizable;
            }

            state = last.State;
            linearized[last.Call.Operation / 64] &= ~(1UL << (last.Call.Operation % 64));
            remaining += last.Call.Return is null ? 0 : 1;
            Unlift(last.Call);
            entry = last.Call.Next;
        }

        States = seen.Count;
        return Verdict.Linearizable;
    }

    // Takes an operation's call (and return) event out of the list; the events keep their own links for Unlift.
    private static void Lift(Event call)
    {
        call.Previous!.Next = call.Next;
        if (call.Next is not null)
        {
            call.Next.Previous = call.Previous;
        }

        if (call.Return is { } ret)
        {
            ret.Previous!.Next = ret.Next;
            if (ret.Next is not null)
            {
                ret.Next.Previous = ret.Previous;
            }
        }
    }

    // Puts them back, in the reverse order of Lift, so every neighbour is where it was.
    private static void Unlift(Event call)
    {
        if (call.Return is { } ret)
        {
            ret.Previous!.Next = ret;
            if (ret.Next is not null)
            {
                ret.Next.Previous = ret;
            }
        }

        call.Previous!.Next = call;
        if (call.Next is not null)
        {
            call.Next.Previous = call;
        }
    }

    private sealed class Event(int operation, bool isCall)
    {
        public int Operation { get; } = operation;

        public bool IsCall { get; } = isCall;

        public Event? Return { get; set; }

        public Event? Previous { get; set; }

        public Event? Next { get; set; }
    }

    // A set of linearized operations (a bit per operation) and the register's value after them.
    private readonly struct Configuration(ulong[] linearized, int state) : IEquatable<Configuration>
    {
        private readonly ulong[] _linearized = linearized;
        private readonly int _state = state;

        public bool Equals(Configuration other) => _state == other._state && _linearized.AsSpan().SequenceEqual(other._linearized);

        public override bool Equals(object? obj) => obj is Configuration other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(_state);
            foreach (var word in _linearized)
            {
                hash.Add(word);
            }

            return hash.ToHashCode();
        }
    }
}
