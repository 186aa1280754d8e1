using System.Globalization;

namespace Microservices.TestSupport.History;

/// <summary>
/// Concurrent clients for a recorded history: each a loop of a write of a unique value ("c3-17": client 3's 17th
/// write, 40 % of calls) or a read of a key drawn at random from <see cref="Keys"/> keys, 5 to 25 ms apart, until
/// stopped or the operation budget is spent. Every call goes through the <see cref="HistoryRecorder"/>. Many keys, few
/// operations per key: what the linearizability search handles.
/// </summary>
/// <param name="recorder">Where every call is recorded.</param>
/// <param name="write">Writes (key, value); returns the version stored. Throws an RpcException on failure.</param>
/// <param name="read">Reads a key; returns its value (null = absent) and version. Throws an RpcException on failure.</param>
public sealed class ClientWorkload(
    HistoryRecorder recorder, Func<string, string, Task<long?>> write, Func<string, Task<(string? Value, long? Version)>> read)
{
    /// <summary>Keys the clients spread over ("h0" ...). Default 40.</summary>
    public int Keys { get; init; } = 40;

    /// <summary>Clients calling at once. Default 8.</summary>
    public int Clients { get; init; } = 8;

    /// <summary>Calls made in all before the clients stop by themselves. Default 1,600.</summary>
    public int MaxOperations { get; init; } = 1600;

    /// <summary>
    /// The seed of a run: <c>HISTORY_SEED</c> from the environment when set (to replay a failure), else random.
    /// </summary>
    public static int Seed() => Environment.GetEnvironmentVariable("HISTORY_SEED") is { Length: > 0 } fixedSeed
        ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
        : Random.Shared.Next();

    /// <summary>Runs the clients until <paramref name="stop"/> (or the budget); each client's choices follow <paramref name="seed"/>.</summary>
    public Task RunAsync(int seed, CancellationToken stop)
    {
        var operations = 0;
        return Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(seed, client));
            for (var written = 0; !stop.IsCancellationRequested && Interlocked.Increment(ref operations) <= MaxOperations;)
            {
                var key = $"h{random.Next(Keys)}";
                if (random.Next(100) < 40)
                {
                    var value = $"c{client}-{written++}";
                    await recorder.WriteAsync(client, key, value, () => write(key, value)).ConfigureAwait(false);
                }
                else
                {
                    await recorder.ReadAsync(client, key, () => read(key)).ConfigureAwait(false);
                }

                await Task.Delay(random.Next(5, 25), CancellationToken.None).ConfigureAwait(false);
            }
        }, CancellationToken.None)));
    }
}
