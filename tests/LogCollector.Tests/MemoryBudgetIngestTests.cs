using Microservices.Logs.V1;
using static Microservices.LogCollector.Tests.CollectorApp;

namespace Microservices.LogCollector.Tests;

public sealed class MemoryBudgetIngestTests
{
    [Fact]
    public async Task WhenTheBudgetIsSpentNewServicesAreRefusedNamingTheSettingAndKnownOnesStillCount()
    {
        using var app = new CollectorApp(new() { ["LogCollector:MaxBytes"] = "65536" });
        await app.WriteAsync(Entry(Level.Info, service: "known"));

        var request = new WriteRequest();
        request.Entries.AddRange(Enumerable.Range(0, 1000).Select(i => Entry(Level.Info, service: $"new-{i}")));
        var flood = (await app.Client.WriteAsync(request)).Summary;

        Assert.True(flood.Rejected > 0 && flood.Accepted > 0, $"accepted {flood.Accepted}, rejected {flood.Rejected}");
        Assert.Contains("LogCollector:MaxBytes = 65536 bytes", flood.Rejections[0].Reason);
        await app.WriteAsync(Entry(Level.Error, service: "known"));
        var known = await app.Client.GetErrorRateAsync(new GetErrorRateRequest { Service = "known" });
        Assert.Equal(2UL, known.Total);
    }
}
