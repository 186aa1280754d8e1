using Grpc.Net.Client;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Replication;

namespace Microservices.Gateway.Tests;

/// <summary>
/// Which replica a read asks first, per <c>Gateway:ReadReplicaSelection</c>, over many reads of a key's three UP
/// replicas in ring order; the random source is seeded, so every count is the same on every run.
/// </summary>
public sealed class ReplicaSelectorTests : IDisposable
{
    private const int Reads = 20_000;
    private readonly ClusterNode[] _replicas = [Node("owner", 1), Node("second", 1), Node("third", 2)];

    public void Dispose()
    {
        foreach (var node in _replicas)
        {
            node.Dispose();
        }
    }

    [Fact]
    public void PrimaryAsksTheOwnerFirstEveryTime()
    {
        var shares = FirstAsked(ReadReplicaSelection.Primary);

        Assert.Equal(1.0, shares["owner"]);
    }

    [Fact]
    public void RoundRobinAsksEachReplicaFirstInTurn()
    {
        var selector = new ReplicaSelector(ReadReplicaSelection.RoundRobin, new Random(1));
        var orders = Enumerable.Range(0, 4).Select(_ => string.Join(",", Order(selector))).ToArray();

        Assert.Equal(["owner,second,third", "second,third,owner", "third,owner,second", "owner,second,third"], orders);
    }

    [Fact]
    public void WeightedAsksReplicasInProportionToTheirWeights()
    {
        var shares = FirstAsked(ReadReplicaSelection.Weighted);

        Assert.InRange(shares["owner"], 0.23, 0.27);
        Assert.InRange(shares["second"], 0.23, 0.27);
        Assert.InRange(shares["third"], 0.48, 0.52);
    }

    [Fact]
    public void LeastOutstandingSpreadsReadsEvenlyWhileNoneAreInFlight()
    {
        var shares = FirstAsked(ReadReplicaSelection.LeastOutstanding);

        Assert.All(shares.Values, share => Assert.InRange(share, 0.31, 0.36));
    }

    [Fact]
    public void LeastOutstandingNeverAsksTheBusiestReplicaFirst()
    {
        for (var i = 0; i < 5; i++)
        {
            _replicas[0].BeginRead();
        }

        _replicas[1].BeginRead();

        var shares = FirstAsked(ReadReplicaSelection.LeastOutstanding);

        // Two of three drawn: the owner (5 in flight) loses every draw; "second" (1) wins only against the owner.
        Assert.Equal(0.0, shares["owner"]);
        Assert.InRange(shares["second"], 0.31, 0.36);
        Assert.InRange(shares["third"], 0.64, 0.69);
    }

    [Fact]
    public void EverySelectionKeepsEachReplicaOnceForFailover()
    {
        foreach (var selection in Enum.GetValues<ReadReplicaSelection>())
        {
            var selector = new ReplicaSelector(selection, new Random(3));
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal(["owner", "second", "third"], Order(selector).Order(StringComparer.Ordinal));
            }
        }
    }

    [Fact]
    public void OrderingReplicasAllocatesNothing()
    {
        var replicas = _replicas.ToArray();
        foreach (var selection in Enum.GetValues<ReadReplicaSelection>())
        {
            var selector = new ReplicaSelector(selection, new Random(5));
            selector.Order(replicas);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                selector.Order(replicas);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    private Dictionary<string, double> FirstAsked(ReadReplicaSelection selection)
    {
        var selector = new ReplicaSelector(selection, new Random(42));
        var counts = _replicas.ToDictionary(n => n.Name, _ => 0);
        for (var i = 0; i < Reads; i++)
        {
            counts[Order(selector)[0]]++;
        }

        return counts.ToDictionary(c => c.Key, c => c.Value / (double)Reads);
    }

    // The replicas in ring order, as a read gets them, ordered by the selector.
    private string[] Order(ReplicaSelector selector)
    {
        var replicas = _replicas.ToArray();
        selector.Order(replicas);
        return [.. replicas.Select(n => n.Name)];
    }

    private static ClusterNode Node(string name, int weight) =>
        new(name, new Uri($"http://{name}"), GrpcChannel.ForAddress($"http://{name}"), weight);
}
