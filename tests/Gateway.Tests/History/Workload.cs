using Microservices.Gateway.V1;
using Microservices.TestSupport.History;

namespace Microservices.Gateway.Tests.History;

/// <summary>
/// Concurrent clients, each a loop of a Put of a unique value ("c3-17": client 3's 17th write) or a Get, of a key
/// drawn at random from <see cref="Keys"/> keys, with a short pause between calls, until the run's time or its
/// operation budget is spent. Every call has a 5 s deadline and is recorded. Many keys, few operations per key:
/// what the linearizability search handles.
/// </summary>
internal sealed class Workload(V1.Cache.CacheClient cache, HistoryRecorder recorder, Consistency writes, Consistency reads)
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(5);

    public int Keys { get; init; } = 40;

    public int Clients { get; init; } = 8;

    public int MaxOperations { get; init; } = 1600;

    /// <summary>Runs the clients for <paramref name="duration"/> (or until the budget is spent); each client's choices follow <paramref name="seed"/>.</summary>
    public async Task RunAsync(TimeSpan duration, int seed)
    {
        var operations = 0;
        using var stop = new CancellationTokenSource(duration);
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(seed, client));
            for (var written = 0; !stop.IsCancellationRequested && Interlocked.Increment(ref operations) <= MaxOperations;)
            {
                var key = $"h{random.Next(Keys)}";
                if (random.Next(100) < 40)
                {
                    var value = $"c{client}-{written++}";
                    await recorder.WriteAsync(client, key, value, async () =>
                    {
                        var reply = await cache.PutAsync(new PutRequest { Key = key, Text = value, Consistency = writes }, deadline: Deadline());
                        return reply.Version.Timestamp;
                    });
                }
                else
                {
                    await recorder.ReadAsync(client, key, async () =>
                    {
                        var reply = await cache.GetAsync(new GetRequest { Key = key, Consistency = reads }, deadline: Deadline());
                        return reply.Found ? (reply.Text, reply.Version.Timestamp) : (null, null);
                    });
                }

                await Task.Delay(random.Next(5, 25));
            }
        })));
    }

    private static DateTime Deadline() => DateTime.UtcNow + CallDeadline;
}
