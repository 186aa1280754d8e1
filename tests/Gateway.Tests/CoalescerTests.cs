using System.Diagnostics;
using Microservices.Gateway.Batching;

namespace Microservices.Gateway.Tests;

public sealed class CoalescerTests
{
    private static readonly int[] Weights = [1, 2, 2, 2, 2, 9, 50, 1];

    // A sender that records each batch and holds it until released.
    private sealed class HeldSender
    {
        private readonly Lock _gate = new();

        public List<int[]> Batches { get; } = [];

        public TaskCompletionSource Release { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task SendAsync(CoalescedBatch<int, string> batch)
        {
            lock (_gate)
            {
                Batches.Add([.. Enumerable.Range(0, batch.Count).Select(i => batch[i])]);
            }

            await Release.Task;
            for (var i = 0; i < batch.Count; i++)
            {
                batch.Complete(i, $"r{batch[i]}");
            }
        }
    }

    [Fact]
    public async Task ALoneItemIsSentAtOnce()
    {
        var coalescer = new Coalescer<int, string>(batch =>
        {
            batch.Complete(0, "only");
            return Task.CompletedTask;
        }, maxBatch: 10);

        Assert.Equal("only", await coalescer.EnqueueAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task ItemsArrivingWhileABatchIsInFlightGoTogetherInOrder()
    {
        var sender = new HeldSender();
        var coalescer = new Coalescer<int, string>(sender.SendAsync, maxBatch: 100);

        var first = coalescer.EnqueueAsync(0, CancellationToken.None);
        var rest = Enumerable.Range(1, 20).Select(i => coalescer.EnqueueAsync(i, CancellationToken.None)).ToArray();
        Assert.Single(sender.Batches); // the first is in flight; the others wait
        sender.Release.SetResult();

        Assert.Equal("r0", await first);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"r{i}"), await Task.WhenAll(rest));
        Assert.Equal([[0], [.. Enumerable.Range(1, 20)]], sender.Batches);
    }

    [Fact]
    public async Task BatchesKeepToTheirCountAndWeight()
    {
        var sender = new HeldSender();
        var coalescer = new Coalescer<int, string>(sender.SendAsync, maxBatch: 3, weigh: item => item, maxWeight: 10);

        var calls = Weights.Select(i => coalescer.EnqueueAsync(i, CancellationToken.None)).ToArray();
        sender.Release.SetResult();
        await Task.WhenAll(calls);

        // At most 3 items and weight 10 a batch; a lone heavier item still goes, alone.
        Assert.Equal([[1], [2, 2, 2], [2], [9], [50], [1]], sender.Batches);
    }

    [Fact]
    public async Task AFailedBatchFailsItsItemsAndTheNextBatchStillGoes()
    {
        var attempts = 0;
        var coalescer = new Coalescer<int, string>(async batch =>
        {
            await Task.Yield();
            if (Interlocked.Increment(ref attempts) == 1)
            {
                throw new InvalidOperationException("node unreachable");
            }

            batch.Complete(0, "ok");
        }, maxBatch: 10);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => coalescer.EnqueueAsync(1, CancellationToken.None));
        Assert.Equal("node unreachable", error.Message);
        Assert.Equal("ok", await coalescer.EnqueueAsync(2, CancellationToken.None));
    }

    [Fact]
    public async Task AnItemTheSenderLeavesOpenFailsInsteadOfHanging()
    {
        var coalescer = new Coalescer<int, string>(_ => Task.CompletedTask, maxBatch: 10);

        await Assert.ThrowsAsync<InvalidOperationException>(() => coalescer.EnqueueAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task ACallerThatGivesUpStopsWaitingAndTheOthersGetTheirResults()
    {
        var sender = new HeldSender();
        var coalescer = new Coalescer<int, string>(sender.SendAsync, maxBatch: 10);
        using var cancel = new CancellationTokenSource();

        var first = coalescer.EnqueueAsync(0, CancellationToken.None);
        var leaving = coalescer.EnqueueAsync(1, cancel.Token);
        var staying = coalescer.EnqueueAsync(2, CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);

        sender.Release.SetResult();
        Assert.Equal("r0", await first);
        Assert.Equal("r2", await staying);
    }

    [Fact]
    public async Task ABatchRunsUnderTheTraceOfItsFirstItem()
    {
        using var source = new ActivitySource("coalescer-test");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<ActivityTraceId?>();
        var coalescer = new Coalescer<int, string>(async batch =>
        {
            lock (seen)
            {
                seen.Add(Activity.Current?.TraceId);
            }

            await release.Task;
            for (var i = 0; i < batch.Count; i++)
            {
                batch.Complete(i, "ok");
            }
        }, maxBatch: 10);

        async Task<ActivityTraceId> RequestAsync(int item)
        {
            using var request = source.StartActivity("request")!;
            await coalescer.EnqueueAsync(item, CancellationToken.None);
            return request.TraceId;
        }

        var first = RequestAsync(0);
        var second = RequestAsync(1); // waits for the next batch, which it opens
        var third = RequestAsync(2);
        release.SetResult();
        var traces = await Task.WhenAll(first, second, third);

        Assert.Equal([traces[0], traces[1]], seen);
    }
}
