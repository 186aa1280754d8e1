using Microservices.Gateway.Membership;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Orders the replicas a read may ask by <see cref="GatewayOptions.ReadReplicaSelection"/>: the read asks them in
/// that order, its level's number first and the next one each time a call fails. On the request path: no
/// allocation, no lock; the order is made in place in the caller's array.
/// </summary>
public sealed class ReplicaSelector
{
    private readonly Random _random;
    private long _turn = -1;

    /// <summary>The configured selection, with <see cref="Random.Shared"/> (thread-safe) as its random source.</summary>
    public ReplicaSelector(IOptions<GatewayOptions> options)
        : this(options.Value.ReadReplicaSelection, Random.Shared)
    {
    }

    /// <summary>
    /// <paramref name="selection"/> drawing from <paramref name="random"/>, which must be safe for concurrent use
    /// when reads run concurrently (<see cref="Random.Shared"/> is; a seeded <see cref="Random"/> is not, and serves
    /// tests that read one at a time).
    /// </summary>
    public ReplicaSelector(ReadReplicaSelection selection, Random random)
    {
        Selection = selection;
        _random = random;
    }

    /// <summary>The selection in use.</summary>
    public ReadReplicaSelection Selection { get; }

    /// <summary>
    /// Puts <paramref name="replicas"/> (the UP replicas of one key, in ring order) in the order a read asks them.
    /// </summary>
    public void Order(Span<ClusterNode> replicas)
    {
        if (replicas.Length < 2)
        {
            return;
        }

        switch (Selection)
        {
            case ReadReplicaSelection.RoundRobin:
                Rotate(replicas, (int)((ulong)Interlocked.Increment(ref _turn) % (ulong)replicas.Length));
                break;
            case ReadReplicaSelection.Weighted:
                ByWeight(replicas);
                break;
            case ReadReplicaSelection.LeastOutstanding:
                ByReadsInFlight(replicas);
                break;
        }
    }

    // Left rotation by `by` places, by three reversals (Bentley, Programming Pearls, column 2).
    private static void Rotate(Span<ClusterNode> replicas, int by)
    {
        if (by == 0)
        {
            return;
        }

        replicas[..by].Reverse();
        replicas[by..].Reverse();
        replicas.Reverse();
    }

    // Weighted sampling without replacement: each place, from the front, is drawn among the replicas not yet placed
    // with probability weight / (their total weight).
    private void ByWeight(Span<ClusterNode> replicas)
    {
        var total = 0;
        foreach (var replica in replicas)
        {
            total += replica.Weight;
        }

        for (var place = 0; place < replicas.Length - 1; place++)
        {
            var draw = _random.Next(total);
            var chosen = place;
            while (draw >= replicas[chosen].Weight)
            {
                draw -= replicas[chosen].Weight;
                chosen++;
            }

            total -= replicas[chosen].Weight;
            (replicas[place], replicas[chosen]) = (replicas[chosen], replicas[place]);
        }
    }

    // Power of two choices at each place, from the front: two of the replicas not yet placed, drawn at random, and
    // the one with fewer reads in flight goes there (the first drawn on a tie). The last two are simply compared.
    private void ByReadsInFlight(Span<ClusterNode> replicas)
    {
        for (var place = 0; place < replicas.Length - 1; place++)
        {
            var left = replicas.Length - place;
            int first, second;
            if (left == 2)
            {
                (first, second) = _random.Next(2) == 0 ? (place, place + 1) : (place + 1, place);
            }
            else
            {
                first = place + _random.Next(left);
                second = place + _random.Next(left - 1);
                if (second >= first)
                {
                    second++;
                }
            }

            var chosen = replicas[second].ReadsInFlight < replicas[first].ReadsInFlight ? second : first;
            (replicas[place], replicas[chosen]) = (replicas[chosen], replicas[place]);
        }
    }
}
