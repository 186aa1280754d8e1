namespace Microservices.Gateway.Caching;

/// <summary>
/// Keeps a cache-aside load from putting back a value that a concurrent write of the same key replaces. A load
/// stamps its version before it reads the origin, so it orders after a write stamped earlier whose origin (or
/// cache) write lands after the read: it would win with the older value. So every Put, MultiPut and Delete is
/// marked as under way from before its stamp until its cache write is done, and a load writes what it read to the
/// replicas only when no write of its key was under way when its Get began, nor began before the load was stamped
/// and read; otherwise the caller still gets the value, uncached, and the next miss loads it again. Writes that
/// begin later are stamped after the load, and win. Keys share one of 1024 stripes (a shared stripe only costs an
/// uncached load); the fence holds within one gateway.
/// </summary>
public sealed class WriteFence
{
    private const int Stripes = 1024;
    private readonly int[] _underWay = new int[Stripes];
    private readonly long[] _begun = new long[Stripes];

    /// <summary>Marks a write of <paramref name="storedKeys"/> as under way until the result is disposed.</summary>
    public Writing Begin(IEnumerable<string> storedKeys)
    {
        var stripes = storedKeys.Select(Stripe).ToArray();
        foreach (var stripe in stripes)
        {
            // Under way before begun: an observer that sees the new begun count sees the write under way, or done.
            Interlocked.Increment(ref _underWay[stripe]);
            Interlocked.Increment(ref _begun[stripe]);
        }

        return new Writing(this, stripes);
    }

    /// <summary>Taken when a Get begins, before it reads the replicas.</summary>
    public Observation Observe(string storedKey)
    {
        var stripe = Stripe(storedKey);
        var begun = Volatile.Read(ref _begun[stripe]);
        return new Observation(stripe, begun, Volatile.Read(ref _underWay[stripe]) == 0);
    }

    /// <summary>True when no write of the key was under way at <paramref name="observation"/> and none has begun since.</summary>
    public bool StillQuiet(Observation observation) =>
        observation.Quiet && Volatile.Read(ref _begun[observation.Stripe]) == observation.Begun;

    private static int Stripe(string storedKey) => (StringComparer.Ordinal.GetHashCode(storedKey) & int.MaxValue) % Stripes;

    /// <summary>What a Get saw of the writes of its key when it began.</summary>
    /// <param name="Stripe">The key's stripe.</param>
    /// <param name="Begun">Writes begun in the stripe so far.</param>
    /// <param name="Quiet">True when none was under way.</param>
    public readonly record struct Observation(int Stripe, long Begun, bool Quiet);

    /// <summary>A write under way; Dispose (once or more) when its cache write is done.</summary>
    public sealed class Writing : IDisposable
    {
        private readonly WriteFence _fence;
        private readonly int[] _stripes;
        private int _ended;

        internal Writing(WriteFence fence, int[] stripes)
        {
            _fence = fence;
            _stripes = stripes;
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0)
            {
                return;
            }

            foreach (var stripe in _stripes)
            {
                Interlocked.Decrement(ref _fence._underWay[stripe]);
            }
        }
    }
}
