namespace Microservices.Gateway.Rebalancing;

/// <summary>
/// Paces work to <c>perSecond</c> units a second on average, with a burst of one second's worth: a token bucket
/// holding one second of work, full at the start, in the form of the generic cell rate algorithm (the time at which
/// the bucket would be empty is kept; taking work moves it on; the caller waits while it lies in the future). Work
/// larger than the burst is taken all the same, and paid for by the waits that follow. Not thread-safe: one pass
/// uses it at a time.
/// </summary>
internal sealed class Throttle(double perSecond, TimeProvider time)
{
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(1);
    private readonly long _started = time.GetTimestamp();
    private TimeSpan _emptyAt = -Burst;

    /// <summary>Takes <paramref name="amount"/> units; completes when they may be used.</summary>
    public Task TakeAsync(double amount, CancellationToken cancellationToken)
    {
        var now = time.GetElapsedTime(_started);
        var from = _emptyAt > now - Burst ? _emptyAt : now - Burst;
        _emptyAt = from + TimeSpan.FromSeconds(amount / perSecond);
        var wait = _emptyAt - now;
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, cancellationToken) : Task.CompletedTask;
    }
}
