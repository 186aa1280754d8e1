using Microservices.Gateway.Origin;
using Microservices.Gateway.WriteBack;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.Gateway.Tests;

/// <summary>The write-back log on its own: its file format, recovery, compaction, bounds and group commit; and the options' limits.</summary>
public sealed class WriteBackLogTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"writeback-log-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly List<WriteBackLog> _logs = [];

    public void Dispose()
    {
        foreach (var log in _logs)
        {
            log.Dispose();
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private WriteBackLog Open(WriteBackOptions? options = null)
    {
        var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var log = new WriteBackLog(options ?? new WriteBackOptions(), _folder, _time,
            new WriteBackTelemetry(metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<WriteBackLog>.Instance);
        _logs.Add(log);
        log.Recover();
        return log;
    }

    // Opens the log again, as a restarted gateway does, after closing the one before.
    private WriteBackLog Reopen(WriteBackLog log, WriteBackOptions? options = null)
    {
        log.Dispose();
        return Open(options);
    }

    private OriginRow Row(string key, string value, long version = 1) =>
        new("t", key, true, System.Text.Encoding.UTF8.GetBytes(value), _time.GetUtcNow(), new OriginVersion(version, "g"));

    private string LastSegment() => Directory.GetFiles(_folder, "*.wblog").Where(path => new FileInfo(path).Length > 0).Order(StringComparer.Ordinal).Last();

    private static async Task FlushAllAsync(WriteBackLog log)
    {
        while (log.Depth > 0)
        {
            log.Flushed(await log.NextBatchAsync(100, CancellationToken.None));
        }
    }

    [Fact]
    public async Task ATornLastRecordIsDroppedAtRecoveryAndTheOthersAreReplayed()
    {
        var log = Open();
        await log.AppendAsync([Row("a", "1"), Row("b", "2")]);
        await log.AppendAsync([Row("c", "3")]);
        log.Dispose();

        // A crash in the middle of the last write: its record is cut short.
        var segment = LastSegment();
        var length = new FileInfo(segment).Length;
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(length - 3);
        }

        log = Open();
        Assert.Equal(2, log.Depth);
        Assert.Null(log.Pending("t", "c"));
        Assert.Equal("2", System.Text.Encoding.UTF8.GetString(log.Pending("t", "b")!.Value));

        // The log goes on after the dropped record: numbered from where it was cut.
        await log.AppendAsync([Row("d", "4")]);
        log = Reopen(log);
        Assert.Equal(["a", "b", "d"], (await log.NextBatchAsync(10, CancellationToken.None)).Select(record => record.Row.Key));
        Assert.Equal([1L, 2, 3], (await log.NextBatchAsync(10, CancellationToken.None)).Select(record => record.Sequence));
    }

    [Fact]
    public async Task ARecordWhoseChecksumDoesNotMatchEndsTheReadableLog()
    {
        var log = Open();
        await log.AppendAsync([Row("a", "first value")]);
        await log.AppendAsync([Row("b", "second value")]);
        log.Dispose();

        var segment = LastSegment();
        var bytes = File.ReadAllBytes(segment);
        bytes[^2] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        log = Open();
        Assert.Equal(["a"], (await log.NextBatchAsync(10, CancellationToken.None)).Select(record => record.Row.Key));
    }

    [Fact]
    public async Task FlushedRecordsAreNotReplayedAndTheirSegmentsAreDeleted()
    {
        var options = new WriteBackOptions { SegmentBytes = 64 * 1024 };
        var log = Open(options);
        for (var i = 0; i < 40; i++)
        {
            await log.AppendAsync([Row($"k{i}", new string('x', 10_000))]);
        }

        Assert.True(Directory.GetFiles(_folder, "*.wblog").Length >= 5);
        await FlushAllAsync(log);
        Assert.Single(Directory.GetFiles(_folder, "*.wblog"));
        Assert.Equal(0, log.Bytes);

        log = Reopen(log, options);
        Assert.Equal(0, log.Depth);
        await log.AppendAsync([Row("next", "1")]);
        Assert.Equal(41, (await log.NextBatchAsync(10, CancellationToken.None)).Single().Sequence);
    }

    [Fact]
    public async Task AnAppendOverTheBoundsIsRefusedWholeAndFitsOnceFlushed()
    {
        var log = Open(new WriteBackOptions { MaxEntries = 3 });
        await log.AppendAsync([Row("a", "1"), Row("b", "1")]);

        // Refused at once, before anything is queued: the call throws rather than returning a failed task.
        var full = Assert.Throws<WriteBackFullException>(() => { _ = log.AppendAsync([Row("c", "1"), Row("d", "1")]); });
        Assert.Contains("MaxEntries 3", full.Message);
        Assert.Equal(2, log.Depth);
        Assert.Null(log.Pending("t", "c"));

        await FlushAllAsync(log);
        await log.AppendAsync([Row("c", "1"), Row("d", "1")]);
        Assert.Equal(2, log.Depth);
    }

    [Fact]
    public async Task ConcurrentAppendsShareFsyncs()
    {
        var log = Open();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => log.AppendAsync([Row($"k{i}", "v")])));
        Assert.Equal(200, log.Depth);
        Assert.InRange(log.Syncs, 1, 100);
    }

    [Fact]
    public async Task AFlushedWriteLeavesAKeysNewerPendingWriteReadable()
    {
        var log = Open();
        await log.AppendAsync([Row("k", "old", version: 1)]);
        var first = await log.NextBatchAsync(10, CancellationToken.None);
        await log.AppendAsync([Row("k", "new", version: 2)]);
        log.Flushed(first);
        Assert.Equal("new", System.Text.Encoding.UTF8.GetString(log.Pending("t", "k")!.Value));
    }

    [Fact]
    public void CoalescingKeepsTheNewestVersionOfEachKeyWhateverTheLogOrder()
    {
        WriteBackRecord Record(long sequence, string key, long version, string writer = "g") =>
            new(sequence, Row(key, $"{key}@{version}{writer}", version) with { Version = new OriginVersion(version, writer) }, 0);

        var rows = WriteBackFlusher.Coalesce([Record(1, "a", 5), Record(2, "a", 3), Record(3, "b", 1), Record(4, "b", 1, "h"), Record(5, "a", 4)]);

        Assert.Equal(["a@5g", "b@1h"], rows.Select(row => System.Text.Encoding.UTF8.GetString(row.Value)).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("MaxEntries", "0", "Origin:WriteBack:MaxEntries must be 1 to 10000000 (was 0)")]
    [InlineData("MaxBytes", "1000", "Origin:WriteBack:MaxBytes must be 65536 (64 KiB) to 17179869184 (16 GiB) (was 1000)")]
    [InlineData("SegmentBytes", "-1", "Origin:WriteBack:SegmentBytes must be 65536 (64 KiB) to 1073741824 (1 GiB) (was -1)")]
    [InlineData("MaxBatchSize", "10001", "Origin:WriteBack:MaxBatchSize must be 1 to 10000 (was 10001)")]
    [InlineData("RetryBaseDelay", "00:00:00", "Origin:WriteBack:RetryBaseDelay must be 00:00:00.010 to 00:01:00 (was 00:00:00)")]
    [InlineData("MaxRetryDelay", "00:00:00.100", "Origin:WriteBack:MaxRetryDelay must be RetryBaseDelay (00:00:00.2000000) to 00:10:00 (was 00:00:00.1000000)")]
    [InlineData("LagThreshold", "2.00:00:00", "Origin:WriteBack:LagThreshold must be 00:00:01 to 1.00:00:00 (was 2.00:00:00)")]
    [InlineData("Path", "", "Origin:WriteBack:Path must be set (or Gateway:DataPath, whose writeback folder is the default) for WritePolicy WriteBack")]
    public void BadWriteBackSettingsAreNamedWithTheirLimits(string field, string value, string error)
    {
        var options = new OriginOptions { Path = "origin.db", WritePolicy = WritePolicy.WriteBack, WriteBack = { Path = "log" } };
        var property = typeof(WriteBackOptions).GetProperty(field)!;
        property.SetValue(options.WriteBack, property.PropertyType == typeof(TimeSpan) ? TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)
            : property.PropertyType == typeof(string) ? value
            : Convert.ChangeType(value, property.PropertyType, System.Globalization.CultureInfo.InvariantCulture));

        var result = new OriginOptionsValidator().Validate(null, options);

        Assert.Equal([error], result.Failures);
    }

    [Fact]
    public void WriteBackWithoutAnOriginDatabaseIsRefusedAtStart()
    {
        var result = new OriginOptionsValidator().Validate(null, new OriginOptions { WritePolicy = WritePolicy.WriteBack, WriteBack = { Path = "log" } });
        Assert.Equal(["Origin:WritePolicy WriteBack needs an origin database (Origin:Path is empty)"], result.Failures);
    }
}
