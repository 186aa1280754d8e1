using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Microservices.LoadGen;

/// <summary>
/// A TCP proxy that delays what the target sends back by a fixed time, as a slow node does: each chunk read from
/// the target is written to the client <c>--delay-ms</c> after it arrived, in order, so the delay adds latency
/// without limiting throughput. Requests pass at once. Runs until the process is stopped.
/// <c>LoadGen proxy --listen 127.0.0.1:21420 --target 127.0.0.1:21413 --delay-ms 50</c>
/// </summary>
internal static class DelayProxy
{
    public const string Usage = "usage: LoadGen proxy --listen HOST:PORT --target HOST:PORT --delay-ms MILLISECONDS";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 6 || args[0] != "--listen" || args[2] != "--target" || args[4] != "--delay-ms"
            || !IPEndPoint.TryParse(args[1], out var listen) || !IPEndPoint.TryParse(args[3], out var target)
            || !int.TryParse(args[5], NumberStyles.None, CultureInfo.InvariantCulture, out var delayMs))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var delay = TimeSpan.FromMilliseconds(delayMs);
        using var listener = new TcpListener(listen);
        listener.Start();
        Console.WriteLine($"proxy {listen} -> {target}, answers delayed {delayMs} ms");
        while (true)
        {
            var client = await listener.AcceptTcpClientAsync();
            _ = ServeAsync(client, target, delay);
        }
    }

    private static async Task ServeAsync(TcpClient client, IPEndPoint target, TimeSpan delay)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                client.NoDelay = upstream.NoDelay = true;
                await upstream.ConnectAsync(target);
                var toTarget = client.GetStream().CopyToAsync(upstream.GetStream());
                var toClient = DelayedCopyAsync(upstream.GetStream(), client.GetStream(), delay);
                await Task.WhenAny(toTarget, toClient);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // A connection closed by either side ends its proxying.
            }
        }
    }

    // Reads chunks as they come, stamped with their arrival; a second loop writes each when its delay is up.
    private static async Task DelayedCopyAsync(Stream from, Stream to, TimeSpan delay)
    {
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Buffer, int Length)>(new() { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var (due, buffer, length) in chunks.Reader.ReadAllAsync())
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                await to.WriteAsync(buffer.AsMemory(0, length));
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });

        var dueAfter = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            var read = await from.ReadAsync(buffer);
            if (read == 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                break;
            }

            chunks.Writer.TryWrite((Stopwatch.GetTimestamp() + dueAfter, buffer, read));
        }

        chunks.Writer.Complete();
        await writer;
    }
}
