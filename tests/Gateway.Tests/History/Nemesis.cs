namespace Microservices.Gateway.Tests.History;

/// <summary>
/// Applies faults to the links of a <see cref="GatewayCluster"/> on a schedule drawn from a seeded
/// <see cref="Random"/>: <c>lanes</c> independent sequences of faults, each fault on one node for 300 to 1,000 ms
/// with gaps of 100 to 400 ms, two lanes never on the same node at once. One lane is one fault at a time; two lanes
/// overlap. Between faults, links jitter by up to 20 ms. The schedule is fixed by the seed before the run starts
/// (<see cref="Schedule"/>), so a failing run names the faults it had. With two gateways a fault is on the node, so
/// on both gateways' links to it.
/// </summary>
internal sealed class Nemesis
{
    private static readonly TimeSpan MaxJitter = TimeSpan.FromMilliseconds(400);

    // Between faults every link still jitters a little, so calls to different replicas, and a repair and the next
    // read, arrive in varied orders, as on a real network.
    private static readonly TimeSpan BaselineJitter = TimeSpan.FromMilliseconds(20);
    private readonly GatewayCluster _cluster;
    private readonly IReadOnlyList<string> _nodes;

    public Nemesis(GatewayCluster cluster, IReadOnlyList<string> nodes, int seed, int lanes, TimeSpan duration, params FaultKind[] kinds)
    {
        _cluster = cluster;
        _nodes = nodes;
        Seed = seed;
        var random = new Random(seed);
        var schedule = new List<Fault>();
        for (var lane = 0; lane < lanes; lane++)
        {
            var at = TimeSpan.FromMilliseconds(random.Next(100, 400));
            while (at < duration)
            {
                var length = TimeSpan.FromMilliseconds(random.Next(300, 1000));
                var kind = kinds[random.Next(kinds.Length)];
                var free = nodes.Where(node => !schedule.Any(f => f.Node == node && f.Overlaps(new Fault(kind, node, at, length)))).ToList();
                if (free.Count > 0)
                {
                    schedule.Add(new Fault(kind, free[random.Next(free.Count)], at, length));
                }

                at += length + TimeSpan.FromMilliseconds(random.Next(100, 400));
            }
        }

        Schedule = [.. schedule.OrderBy(f => f.Start)];
    }

    public int Seed { get; }

    public IReadOnlyList<Fault> Schedule { get; }

    /// <summary>"nemesis seed 42; faults (since the run began): Pause node-2 from 120 ms to 800 ms; ...", for a failure message.</summary>
    public string Describe() => $"nemesis seed {Seed}; faults (since the run began): {string.Join("; ", Schedule)}";

    /// <summary>Applies the schedule from now; every fault is healed when this returns, even when cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var link in _nodes.SelectMany(LinksTo))
        {
            link.Jitter = BaselineJitter;
        }

        var started = TimeProvider.System.GetTimestamp();
        await Task.WhenAll(Schedule.Select(async fault =>
        {
            try
            {
                await Task.Delay(fault.Start, cancellationToken);
                Apply(fault, on: true);
                await Task.Delay(Max(fault.End - TimeProvider.System.GetElapsedTime(started), TimeSpan.Zero), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The run is over: heal below.
            }
            finally
            {
                Apply(fault, on: false);
            }
        }));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private IEnumerable<GatewayCluster.SwitchableHandler> LinksTo(string node) =>
        _cluster.SecondLinks.TryGetValue(node, out var second) ? [_cluster.Links[node], second] : [_cluster.Links[node]];

    private void Apply(Fault fault, bool on)
    {
        foreach (var link in LinksTo(fault.Node))
        {
            Apply(link, fault.Kind, on);
        }
    }

    private static void Apply(GatewayCluster.SwitchableHandler link, FaultKind kind, bool on)
    {
        switch (kind)
        {
            case FaultKind.Pause when on:
                link.Pause();
                break;
            case FaultKind.Pause:
                link.Resume();
                break;
            case FaultKind.Cut:
                link.Down = on;
                break;
            case FaultKind.Delay:
                link.Jitter = on ? MaxJitter : BaselineJitter;
                break;
        }
    }
}
