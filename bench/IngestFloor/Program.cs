using Grpc.Core;
using Microservices.Logs.V1;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// Same transport and message limits as the services (h2c, 16 MiB), so only the collector's own work differs.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = 16 * 1024 * 1024);
var app = builder.Build();
app.MapGrpcService<DiscardingCollector>();
app.Run();

/// <summary>Reads every batch of the stream and discards it; answers with the count.</summary>
internal sealed class DiscardingCollector : LogCollector.LogCollectorBase
{
    public override async Task<IngestResponse> Ingest(IAsyncStreamReader<IngestRequest> requestStream, ServerCallContext context)
    {
        ulong entries = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            entries += (ulong)request.Entries.Count;
        }

        return new IngestResponse { Summary = new IngestSummary { Accepted = entries } };
    }
}
