using Grpc.Core;
using Grpc.Net.Client;
using Microservices.Logs.V1;

namespace Microservices.LoadGen;

/// <summary>
/// LogCollector ingest: each worker keeps one Ingest client stream open and each call writes one batch of
/// --batch entries (10 services, 10 % errors among 50 messages, response times 1-400 ms, receive-time stamps).
/// HTTP/2 flow control makes a write wait while the server is behind, so batches written = batches taken.
/// Write: one unary call per batch, entries drawn afresh each call over --services services and --messages
/// error messages (10 % errors), so a soak or a flood reaches every service and message.
/// </summary>
internal static class LogCalls
{
    public static Func<Task<int>> Ingest(GrpcChannel channel, LoadOptions options, int worker)
    {
        var client = new LogCollector.LogCollectorClient(channel);
        var random = new Random(worker);
        var batches = Enumerable.Range(0, 16).Select(_ =>
        {
            var request = new IngestRequest();
            request.Entries.AddRange(Enumerable.Range(0, options.Batch).Select(_ =>
            {
                var error = random.NextDouble() < 0.1;
                return new LogEntry
                {
                    Level = error ? Level.Error : Level.Info,
                    Service = $"service-{random.Next(10)}",
                    Message = error ? $"upstream failure {random.Next(50)}" : "GET /api/orders 200",
                    ResponseTimeMs = 1 + (random.NextDouble() * 399),
                };
            }));
            return request;
        }).ToArray();
        AsyncClientStreamingCall<IngestRequest, IngestResponse>? call = null;
        var next = 0;
        return async () =>
        {
            call ??= client.Ingest();
            next = (next + 1) % batches.Length;
            await call.RequestStream.WriteAsync(batches[next]);
            return options.Batch;
        };
    }

    public static Func<Task<int>> Write(GrpcChannel channel, LoadOptions options, int worker)
    {
        var client = new LogCollector.LogCollectorClient(channel);
        var random = new Random(worker);
        var services = Enumerable.Range(0, options.Services).Select(s => $"service-{s}").ToArray();
        return async () =>
        {
            var request = new WriteRequest();
            for (var i = 0; i < options.Batch; i++)
            {
                var error = random.NextDouble() < 0.1;
                request.Entries.Add(new LogEntry
                {
                    Level = error ? Level.Error : Level.Info,
                    Service = services[random.Next(services.Length)],
                    Message = error ? $"upstream failure {random.Next(options.Messages)}" : "GET /api/orders 200",
                    ResponseTimeMs = 1 + (random.NextDouble() * 399),
                });
            }

            var reply = await client.WriteAsync(request);
            return (int)reply.Summary.Accepted;
        };
    }
}
