using System.Globalization;
using Microservices.Gateway.V1;

namespace Microservices.SystemTests.History;

/// <summary>
/// The faults of a process run, one after another, on real processes: after 2.5 s one node is stopped with SIGSTOP
/// for 2.5 s and continued with SIGCONT; 1.5 s later another is killed with SIGKILL and, once every running gateway
/// reports it DOWN, started again empty; 1.5 s after gateway-1 reports it UP the run ends. With two gateways, gateway-2
/// is killed with SIGKILL either 1.5 s into the pause (the hints it holds for the paused node die with it) or just after
/// the node is started again (while the gateways are bringing it back, RECOVERING); its clients then move to
/// gateway-1 (<see cref="GatewaysUp"/>). The seed picks the two nodes and when gateway-2 dies. Each fault is noted
/// with its time since the history's origin (<see cref="Describe"/>). Waits are generous (30 s for DOWN, 60 s for
/// UP) for a loaded machine.
/// </summary>
internal sealed class ProcessFaults(ProcessCluster cluster, long origin)
{
    private readonly List<string> _notes = [];
    private int _gatewaysUp = cluster.Gateways.Count;

    /// <summary>How many gateways clients may use: all, then 1 (gateway-1) once gateway-2 is killed.</summary>
    public int GatewaysUp => Volatile.Read(ref _gatewaysUp);

    /// <summary>"SIGSTOP node-2 at 1502 ms; ...".</summary>
    public string Describe()
    {
        lock (_notes)
        {
            return string.Join("; ", _notes);
        }
    }

    /// <summary>
    /// Starts <paramref name="clients"/>, runs the faults while they work, then stops them (their token is cancelled)
    /// and waits for them, in every path.
    /// </summary>
    public async Task RunAsync(int seed, Func<CancellationToken, Task> clients)
    {
        using var stop = new CancellationTokenSource();
        var running = clients(stop.Token);
        try
        {
            await RunAsync(seed);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    /// <summary>Runs the faults; the victims follow <paramref name="seed"/>.</summary>
    public async Task RunAsync(int seed)
    {
        var random = new Random(seed);
        var victims = cluster.Nodes.Keys.OrderBy(_ => random.Next()).ToArray();
        var (paused, killed) = (victims[0], victims[1]);
        var killGateway = cluster.Gateways.Count > 1;
        var gatewayDiesInPause = killGateway && random.Next(2) == 0;

        await Task.Delay(2500);
        Note($"SIGSTOP {paused}");
        await cluster.Nodes[paused].PauseAsync();
        if (gatewayDiesInPause)
        {
            await Task.Delay(1500);
            await KillSecondGatewayAsync();
            await Task.Delay(1000);
        }
        else
        {
            await Task.Delay(2500);
        }

        Note($"SIGCONT {paused}");
        await cluster.Nodes[paused].ResumeAsync();
        await Task.Delay(1500);

        Note($"SIGKILL {killed}");
        await cluster.Nodes[killed].KillAsync();
        await cluster.WaitForStateAsync(killed, NodeState.Down, TimeSpan.FromSeconds(30));
        Note($"{killed} DOWN on every running gateway; started again, empty");
        cluster.Nodes[killed].Start();
        await ProcessCluster.WaitServingAsync(cluster.Nodes[killed]);
        if (killGateway && !gatewayDiesInPause)
        {
            await KillSecondGatewayAsync();
        }

        await cluster.WaitForStateAsync(1, killed, NodeState.Up, TimeSpan.FromSeconds(60));
        Note($"{killed} UP on {ProcessCluster.GatewayId(1)}");
        await Task.Delay(1500);
    }

    private async Task KillSecondGatewayAsync()
    {
        Note($"SIGKILL {ProcessCluster.GatewayId(2)}");
        await cluster.Gateways[1].KillAsync();
        Volatile.Write(ref _gatewaysUp, 1);
    }

    private void Note(string what)
    {
        lock (_notes)
        {
            _notes.Add(string.Create(CultureInfo.InvariantCulture, $"{what} at {TimeProvider.System.GetElapsedTime(origin).TotalMilliseconds:F0} ms"));
        }
    }
}
