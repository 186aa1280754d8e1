using System.Collections.Concurrent;
using Microservices.Gateway.Origin;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.Gateway.Tests;

public sealed class ConnectionPoolTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeConnections _factory = new();

    private ConnectionPool<FakeConnection> Pool(int min = 0, int max = 2, double timeoutSeconds = 5, double idleSeconds = 300, double lifetimeSeconds = 1800) =>
        new(_factory, new ConnectionPoolOptions
        {
            MinConnections = min,
            MaxConnections = max,
            AcquireTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            MaxIdleTime = TimeSpan.FromSeconds(idleSeconds),
            MaxLifetime = TimeSpan.FromSeconds(lifetimeSeconds),
            MaintenanceInterval = TimeSpan.FromSeconds(1),
        }, _time);

    private static void AssertConsistent(PoolStats stats) => Assert.Equal(stats.Total, stats.Active + stats.Idle);

    [Fact]
    public async Task WarmUpOpensTheMinimumAndLeasesReuseThem()
    {
        await using var pool = Pool(min: 2, max: 4);
        await pool.WarmUpAsync();
        Assert.Equal(new PoolStats(2, 0, 2, 0, 0, 2, 0), pool.GetStats());

        await using (var lease = await pool.AcquireAsync())
        {
            Assert.Equal(new PoolStats(2, 1, 1, 0, 0, 2, 0), pool.GetStats());
            Assert.False(lease.Connection.Closed);
        }

        Assert.Equal(new PoolStats(2, 0, 2, 0, 0, 2, 0), pool.GetStats());
    }

    [Fact]
    public async Task AtTheTimeoutAWaitingCallerGetsAClearFailureNotAHang()
    {
        await using var pool = Pool(max: 1, timeoutSeconds: 5);
        await using var held = await pool.AcquireAsync();
        var waiting = pool.AcquireAsync().AsTask();

        _time.Advance(TimeSpan.FromSeconds(4.9));
        await Task.Delay(20);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, pool.GetStats().Waiting);

        _time.Advance(TimeSpan.FromSeconds(0.1));
        var error = await Assert.ThrowsAsync<ConnectionPoolTimeoutException>(() => waiting);
        Assert.Contains("no connection became free within 5 s (1 of 1 in use", error.Message);
        var stats = pool.GetStats();
        Assert.Equal((0, 1L), (stats.Waiting, stats.Timeouts));
        AssertConsistent(stats);
    }

    [Fact]
    public async Task WaitersAreServedInArrivalOrder()
    {
        await using var pool = Pool(max: 1);
        var held = await pool.AcquireAsync();
        var order = new ConcurrentQueue<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 5; i++)
        {
            var arrival = i;
            waiters.Add(Task.Run(async () =>
            {
                await using var lease = await pool.AcquireAsync();
                order.Enqueue(arrival);
                await Task.Delay(5);
            }));

            // The next caller arrives only once this one waits.
            await WaitUntilAsync(() => pool.GetStats().Waiting == arrival + 1);
        }

        held.Dispose();
        await Task.WhenAll(waiters);
        Assert.Equal([0, 1, 2, 3, 4], order);
        Assert.Equal(1, _factory.Opened);
    }

    [Fact]
    public async Task IdleConnectionsAboveTheMinimumAreClosedAfterTheIdleTime()
    {
        await using var pool = Pool(min: 1, max: 5, idleSeconds: 60);
        var leases = new List<ConnectionLease<FakeConnection>>();
        for (var i = 0; i < 5; i++)
        {
            leases.Add(await pool.AcquireAsync());
        }

        leases.ForEach(lease => lease.Dispose());
        Assert.Equal(5, pool.GetStats().Idle);

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(5, pool.GetStats().Idle);
        _time.Advance(TimeSpan.FromSeconds(31));
        var stats = pool.GetStats();
        Assert.Equal((1, 1, 4L), (stats.Total, stats.Idle, stats.Destroyed));
        AssertConsistent(stats);
        await WaitUntilAsync(() => _factory.Closed == 4);
    }

    [Fact]
    public async Task ABrokenConnectionIsClosedAndReplaced()
    {
        await using var pool = Pool(max: 1);
        var first = await pool.AcquireAsync();
        var connection = first.Connection;
        first.MarkBroken();
        first.Dispose();
        await WaitUntilAsync(() => connection.Closed);

        var second = await pool.AcquireAsync();
        Assert.NotSame(connection, second.Connection);
        var stats = pool.GetStats();
        Assert.Equal((1, 2L, 1L), (stats.Total, stats.Created, stats.Destroyed));

        // Found unusable on borrow: replaced as well.
        second.Connection.Usable = false;
        await second.DisposeAsync();
        await using var third = await pool.AcquireAsync();
        Assert.True(third.Connection.Usable);
        AssertConsistent(pool.GetStats());
    }

    [Fact]
    public async Task ReturningTwiceOrToAnotherPoolIsRejectedWithoutCorruptingTheCounts()
    {
        await using var pool = Pool(max: 2);
        await using var other = Pool(max: 2);
        var lease = await pool.AcquireAsync();
        pool.Return(lease);
        var error = Assert.Throws<InvalidOperationException>(() => pool.Return(lease));
        Assert.Contains("already returned", error.Message);
        Assert.Throws<ObjectDisposedException>(() => lease.Connection);

        var foreign = await pool.AcquireAsync();
        Assert.Throws<InvalidOperationException>(() => other.Return(foreign));
        foreign.Dispose();

        Assert.Equal(new PoolStats(1, 0, 1, 0, 0, 1, 0), pool.GetStats());
        Assert.Equal(new PoolStats(0, 0, 0, 0, 0, 0, 0), other.GetStats());
    }

    [Fact]
    public async Task DisposingALeaseTwiceReturnsItOnceAndLeavesItsNextHolderAlone()
    {
        await using var pool = Pool(max: 1);
        var first = await pool.AcquireAsync();
        var connection = first.Connection;
        first.Dispose();
        first.Dispose();
        await first.DisposeAsync();
        Assert.Equal(new PoolStats(1, 0, 1, 0, 0, 1, 0), pool.GetStats());

        // The same connection, lent again: a late Dispose of the old lease must not take it back.
        await using var second = await pool.AcquireAsync();
        Assert.Same(connection, second.Connection);
        first.Dispose();
        Assert.Equal(new PoolStats(1, 1, 0, 0, 0, 1, 0), pool.GetStats());
        Assert.Same(connection, second.Connection);
    }

    [Fact]
    public async Task WhenABackgroundOpenFailsTheFreedPlaceGoesToTheLongestWaiter()
    {
        await using var pool = Pool(min: 1, max: 1, lifetimeSeconds: 600, idleSeconds: 3600);
        await pool.WarmUpAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _factory.HoldNextOpen(gate.Task);

        // Maintenance closes the old connection and opens its replacement in the background; it hangs, then fails.
        _time.Advance(TimeSpan.FromSeconds(600));
        await WaitUntilAsync(() => _factory.Opened == 2);
        var waiting = pool.AcquireAsync().AsTask();
        Assert.Equal(1, pool.GetStats().Waiting);

        gate.SetException(new IOException("connection refused (test)"));
        await using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(lease.Connection.Closed);
        var stats = pool.GetStats();
        Assert.Equal((1, 1, 0), (stats.Total, stats.Active, stats.Waiting));
        AssertConsistent(stats);
    }

    [Fact]
    public async Task AWaiterServedByAFailedOpenGetsTheErrorOfItsOwnOpen()
    {
        await using var pool = Pool(max: 1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _factory.HoldNextOpen(gate.Task);
        var opening = pool.AcquireAsync().AsTask();
        var waiting = pool.AcquireAsync().AsTask();
        Assert.Equal(1, pool.GetStats().Waiting);

        // The first caller's open fails: it gets the error; the waiter opens its own, which fails too.
        _factory.FailNext = 1;
        gate.SetException(new IOException("connection refused (test)"));
        await Assert.ThrowsAsync<IOException>(() => opening);
        await Assert.ThrowsAsync<IOException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(new PoolStats(0, 0, 0, 0, 0, 0, 0), pool.GetStats());
    }

    [Fact]
    public async Task CancelledCallersLeaveNothingBehind()
    {
        await using var pool = Pool(max: 1);
        var held = await pool.AcquireAsync();
        using var cancel = new CancellationTokenSource();
        var waiters = Enumerable.Range(0, 10).Select(_ => pool.AcquireAsync(cancel.Token).AsTask()).ToArray();
        Assert.Equal(10, pool.GetStats().Waiting);

        await cancel.CancelAsync();
        foreach (var waiter in waiters)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        }

        held.Dispose();
        Assert.Equal(new PoolStats(1, 0, 1, 0, 0, 1, 0), pool.GetStats());
    }

    [Fact]
    public async Task TheMaximumIsNeverExceededUnder64ConcurrentCallers()
    {
        await using var pool = new ConnectionPool<FakeConnection>(_factory, new ConnectionPoolOptions
        {
            MinConnections = 2,
            MaxConnections = 10,
            AcquireTimeout = TimeSpan.FromSeconds(30),
        }, TimeProvider.System);
        var inUse = 0;
        var maxInUse = 0;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await using var lease = await pool.AcquireAsync();
                var now = Interlocked.Increment(ref inUse);
                InterlockedMax(ref maxInUse, now);
                await Task.Delay(1);
                Interlocked.Decrement(ref inUse);
            }
        })));

        Assert.InRange(maxInUse, 2, 10);
        Assert.InRange(_factory.MaxOpen, 2, 10);
        var stats = pool.GetStats();
        Assert.Equal((0, 0), (stats.Active, stats.Waiting));
        AssertConsistent(stats);
    }

    [Fact]
    public async Task ConnectionsPastTheirLifetimeAreClosedOnReturn()
    {
        await using var pool = Pool(max: 2, lifetimeSeconds: 600, idleSeconds: 3600);
        var lease = await pool.AcquireAsync();
        var old = lease.Connection;
        _time.Advance(TimeSpan.FromSeconds(600));
        lease.Dispose();
        await WaitUntilAsync(() => old.Closed);
        await using var fresh = await pool.AcquireAsync();
        Assert.NotSame(old, fresh.Connection);
    }

    [Fact]
    public async Task DisposeFailsWaitersAndClosesIdleConnections()
    {
        var pool = Pool(min: 1, max: 1);
        await pool.WarmUpAsync();
        var held = await pool.AcquireAsync();
        var waiting = pool.AcquireAsync().AsTask();

        await pool.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting).WaitAsync(TimeSpan.FromSeconds(5));
        held.Dispose();
        await WaitUntilAsync(() => _factory.Closed == 1);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pool.AcquireAsync().AsTask());
    }

    [Fact]
    public async Task TheSeedsDatabaseServiceExampleAgainstRealSqlite()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pool-{Guid.NewGuid():N}.db");
        try
        {
            await using var pool = new ConnectionPool<SqliteConnection>(new SqliteConnectionFactory(path), new ConnectionPoolOptions
            {
                MinConnections = 2,
                MaxConnections = 10,
            }, TimeProvider.System);
            await pool.WarmUpAsync();
            Assert.Equal(2, pool.GetStats().Total);

            // 10 jobs on 5 threads, each running a query through a pooled connection.
            var results = new ConcurrentDictionary<int, long>();
            using var threads = new SemaphoreSlim(5);
            await Task.WhenAll(Enumerable.Range(0, 10).Select(job => Task.Run(async () =>
            {
                await threads.WaitAsync();
                try
                {
                    await using var lease = await pool.AcquireAsync();
                    await using var command = lease.Connection.CreateCommand();
                    command.CommandText = "SELECT $job * 10;";
                    command.Parameters.AddWithValue("$job", job);
                    results[job] = (long)(await command.ExecuteScalarAsync())!;
                }
                finally
                {
                    threads.Release();
                }
            })));

            Assert.Equal(Enumerable.Range(0, 10).Select(job => job * 10L), results.OrderBy(r => r.Key).Select(r => r.Value));
            var stats = pool.GetStats();
            AssertConsistent(stats);
            Assert.Equal((0, 0), (stats.Active, stats.Waiting));
            Assert.InRange(stats.Total, 2, 5);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
            File.Delete(path + "-wal");
            File.Delete(path + "-shm");
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 5 s");
            await Task.Delay(5);
        }
    }

    internal sealed class FakeConnection
    {
        public bool Usable { get; set; } = true;

        public bool Closed { get; set; }
    }

    internal sealed class FakeConnections : IConnectionFactory<FakeConnection>
    {
        private int _open;
        private int _maxOpen;
        private int _opened;
        private int _closed;
        private Task? _nextOpen;

        public int Opened => Volatile.Read(ref _opened);

        public int Closed => Volatile.Read(ref _closed);

        public int MaxOpen => Volatile.Read(ref _maxOpen);

        /// <summary>The next open waits for <paramref name="gate"/> (and fails with its error).</summary>
        public void HoldNextOpen(Task gate) => Volatile.Write(ref _nextOpen, gate);

        /// <summary>So many of the next opens fail at once.</summary>
        public int FailNext { get; set; }

        public async ValueTask<FakeConnection> CreateAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _opened);
            if (Interlocked.Exchange(ref _nextOpen, null) is { } next)
            {
                await next;
            }

            if (FailNext > 0)
            {
                FailNext--;
                throw new IOException("connection refused (test)");
            }

            InterlockedMax(ref _maxOpen, Interlocked.Increment(ref _open));
            return new FakeConnection();
        }

        public bool IsUsable(FakeConnection connection) => connection.Usable && !connection.Closed;

        public ValueTask DestroyAsync(FakeConnection connection)
        {
            connection.Closed = true;
            Interlocked.Decrement(ref _open);
            Interlocked.Increment(ref _closed);
            return ValueTask.CompletedTask;
        }
    }
}
