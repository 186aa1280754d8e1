using Microservices.LogCollector.Windows;
using Microservices.ServiceDefaults.LogShipping;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Tests;

public sealed class WindowTests
{
    private const long Now = 1_800_000_000;

    private static WindowRegistry Registry(int maxServices = 1000, int messagesPerSecond = 32, int retentionSeconds = 3600) =>
        new(Options.Create(new LogCollectorOptions
        {
            MaxServices = maxServices,
            MaxErrorMessagesPerSecond = messagesPerSecond,
            Retention = TimeSpan.FromSeconds(retentionSeconds),
            WindowSize = TimeSpan.FromSeconds(Math.Min(60, retentionSeconds)),
        }));

    private static AcceptedEntry Entry(long second, bool error = false, double ms = 0, string service = "api", string? message = null) =>
        new(service, second, error, ms, error ? ErrorKey.Of(message ?? "boom") : null);

    [Fact]
    public void LatencyCellsAreOrderedAndWithinOnePercent()
    {
        var previous = -1;
        foreach (var ms in Enumerable.Range(0, 1600).Select(i => 0.2 * Math.Pow(1.013, i)).TakeWhile(ms => ms < LogEntryLimits.MaxResponseTimeMs)
            .Append(LogEntryLimits.MaxResponseTimeMs))
        {
            var cell = LatencyScale.CellOf(ms);
            Assert.True(cell >= previous, $"cell of {ms} went backwards");
            previous = cell;
            var error = Math.Abs(LatencyScale.ValueOf(cell) - ms) / ms;
            Assert.True(error <= 0.01, $"{ms} ms is reported as {LatencyScale.ValueOf(cell)} ms ({error:P2})");
        }
    }

    [Fact]
    public void TheLargestAcceptedResponseTimeHasACellOfItsOwnScale()
    {
        // Cells past the histogram's range would all share the last one, which then stands for no value in particular.
        var cell = LatencyScale.CellOf(LogEntryLimits.MaxResponseTimeMs);
        Assert.True(cell < LatencyScale.CellCount - 1, $"cell {cell} of {LatencyScale.CellCount}");
        Assert.InRange(LatencyScale.ValueOf(cell), LogEntryLimits.MaxResponseTimeMs * (1 - (1 / 128.0)), LogEntryLimits.MaxResponseTimeMs * (1 + (1 / 128.0)));
    }

    [Fact]
    public void ErrorKeysCutBetweenCharactersAndStayApartWhenTheyDifferAfterTheCut()
    {
        var start = new string('a', 255);
        var smile = ErrorKey.Of(start + "😀 one");
        var grin = ErrorKey.Of(start + "😁 two");
        Assert.Equal((start + "😀", true), (smile.Text, smile.Truncated));
        Assert.Equal(start + "😁", grin.Text);

        var long1 = ErrorKey.Of(new string('x', 300) + "A");
        var long2 = ErrorKey.Of(new string('x', 300) + "B");
        Assert.Equal(long1.Text, long2.Text);
        Assert.NotEqual(long1, long2);
        Assert.Equal(16, long1.DigestText.Length);

        var whole = ErrorKey.Of(string.Concat(Enumerable.Repeat("😀", 256)));
        Assert.Equal((false, string.Empty), (whole.Truncated, whole.DigestText));
    }

    [Fact]
    public void PercentilesMatchTheExactOnesWithinOnePercent()
    {
        var registry = Registry();
        var random = new Random(7);
        var values = Enumerable.Range(0, 20_000).Select(_ => Math.Exp(random.NextDouble() * 9)).ToArray();
        foreach (var (value, i) in values.Select((value, i) => (value, i)))
        {
            Assert.True(registry.Add(Entry(Now - (i % 60), ms: value)));
        }

        var totals = registry.Query("api", Now - 59, Now, WindowDetail.Percentiles);
        Array.Sort(values);
        foreach (var q in new[] { 0.5, 0.95, 0.99 })
        {
            var exact = values[(int)Math.Ceiling(q * values.Length) - 1];
            Assert.InRange(totals.Percentile(q), exact * 0.99, exact * 1.01);
        }

        Assert.Equal(values.Average(), totals.AverageMs, 6);
    }

    [Fact]
    public void AWindowCountsOnlyItsSecondsAndLateEntriesLandInTheirOwn()
    {
        var registry = Registry();
        registry.Add(Entry(Now, error: true));
        registry.Add(Entry(Now - 30));
        registry.Add(Entry(Now - 90, error: true)); // late, but inside the retention

        var last10 = registry.Query("api", Now - 9, Now, WindowDetail.None);
        Assert.Equal((1, 1), (last10.Count, last10.Errors));
        var last60 = registry.Query("api", Now - 59, Now, WindowDetail.None);
        Assert.Equal((2, 1), (last60.Count, last60.Errors));
        var the90thSecond = registry.Query("api", Now - 90, Now - 90, WindowDetail.None);
        Assert.Equal((1, 1), (the90thSecond.Count, the90thSecond.Errors));
        Assert.Equal(3, registry.Query(string.Empty, Now - 3599, Now, WindowDetail.None).Count);
    }

    [Fact]
    public void SlotsAreReusedAsTimePassesAndOlderEntriesAreRefused()
    {
        var registry = Registry(retentionSeconds: 10);
        Assert.True(registry.Add(Entry(Now)));

        // The ring has 10 + 60 (future skew) + 1 slots; this second reuses the slot of Now.
        var later = Now + 71;
        Assert.True(registry.Add(Entry(later, error: true)));
        Assert.False(registry.Add(Entry(Now)));
        var totals = registry.Query("api", later - 9, later, WindowDetail.None);
        Assert.Equal((1, 1), (totals.Count, totals.Errors));
        Assert.Equal(0, registry.Query("api", Now, Now, WindowDetail.None).Count);
    }

    [Fact]
    public void ServicesBeyondTheCapCountOnlyOverall()
    {
        var registry = Registry(maxServices: 2);
        foreach (var service in new[] { "a", "b", "c", "c" })
        {
            Assert.True(registry.Add(Entry(Now, service: service)));
        }

        Assert.Equal(["a", "b"], registry.ServiceNames);
        Assert.Equal(2, registry.EntriesOverServiceCap);
        Assert.Equal(4, registry.Query(string.Empty, Now, Now, WindowDetail.None).Count);
        Assert.Equal(0, registry.Query("c", Now, Now, WindowDetail.None).Count);
    }

    [Fact]
    public void CleanupForgetsIdleServicesAndGivesBackTheirCounters()
    {
        var registry = Registry(maxServices: 1, retentionSeconds: 60);
        registry.Add(Entry(Now, error: true, service: "old"));
        Assert.Equal(2, registry.TrackedMessages); // its own window and the overall one

        registry.Cleanup(Now + 60);
        Assert.Empty(registry.ServiceNames);
        Assert.Equal(0, registry.TrackedMessages);

        // The freed place goes to a new service.
        registry.Add(Entry(Now + 60, service: "new"));
        Assert.Equal(["new"], registry.ServiceNames);
    }

    [Fact]
    public void TopErrorsAreExactWhileTheyFit()
    {
        var registry = Registry();
        for (var i = 0; i < 10; i++)
        {
            for (var n = 0; n <= i; n++)
            {
                registry.Add(Entry(Now - n, error: true, message: $"error {i}"));
            }
        }

        var totals = registry.Query("api", Now - 59, Now, WindowDetail.TopErrors);
        Assert.False(totals.Approximate);
        Assert.Equal(0, registry.MessagesOverCap);
        Assert.Equal(
            [new("error 9", 10), new("error 8", 9), new KeyValuePair<string, long>("error 7", 8)],
            totals.TopErrors(3).Select(pair => new KeyValuePair<string, long>(pair.Key.Text, pair.Value)));
    }

    [Fact]
    public void BeyondTheCapTopErrorsAreSpaceSavingEstimatesWithinTheirBound()
    {
        var registry = Registry(messagesPerSecond: 4);
        var truth = new Dictionary<string, long>();
        var random = new Random(3);
        for (var i = 0; i < 5000; i++)
        {
            // A few frequent messages among many rare ones.
            var message = random.NextDouble() < 0.6 ? $"hot {random.Next(3)}" : $"rare {random.Next(500)}";
            truth[message] = truth.GetValueOrDefault(message) + 1;
            registry.Add(Entry(Now - (i % 10), error: true, message: message));
        }

        var totals = registry.Query("api", Now - 9, Now, WindowDetail.TopErrors);
        Assert.True(totals.Approximate);
        Assert.True(registry.MessagesOverCap > 0);
        var top = totals.TopErrors(3);
        Assert.Equal(["hot 0", "hot 1", "hot 2"], top.Select(pair => pair.Key.Text).Order());
        foreach (var (message, estimate) in top)
        {
            Assert.InRange(estimate, truth[message.Text] - totals.MaxError, truth[message.Text] + totals.MaxError);
        }
    }
}
