using Microservices.Logs.V1;
using static Microservices.LogCollector.Tests.CollectorApp;

namespace Microservices.LogCollector.Tests;

/// <summary>Top errors group by message; a cut that keeps a group small never joins two messages.</summary>
public sealed class ErrorGroupTests : IDisposable
{
    private static readonly string Prefix = new('a', 255);

    private readonly CollectorApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task TwoErrorsThatDifferJustAfterTheCutAreTwoGroupsEachEndingWithItsWholeEmoji()
    {
        await _app.WriteAsync(Entry(Level.Error, message: Prefix + "😀 one"), Entry(Level.Error, message: Prefix + "😁 two"));

        var top = await _app.Client.GetTopErrorsAsync(new GetTopErrorsRequest { Service = "api" });

        Assert.Equal([(Prefix + "😀", 1UL), (Prefix + "😁", 1UL)], top.Errors.Select(e => (e.Message, e.Count)).Order());
        Assert.All(top.Errors, e => Assert.True(e.Truncated));
    }

    [Fact]
    public async Task LongMessagesThatStartAlikeStayApart()
    {
        var start = new string('x', 300);
        await _app.WriteAsync(
            Entry(Level.Error, message: start + "A"), Entry(Level.Error, message: start + "B"), Entry(Level.Error, message: start + "B"));

        var top = await _app.Client.GetTopErrorsAsync(new GetTopErrorsRequest { Service = "api" });

        Assert.Equal([2UL, 1UL], top.Errors.Select(e => e.Count));
        Assert.All(top.Errors, e => Assert.Equal((start[..256], true, 16), (e.Message, e.Truncated, e.Digest.Length)));
        Assert.NotEqual(top.Errors[0].Digest, top.Errors[1].Digest);
    }

    [Fact]
    public async Task AShortMessageIsShownWholeWithoutADigest()
    {
        await _app.WriteAsync(Entry(Level.Error, message: "db timeout 😀"));

        var error = Assert.Single((await _app.Client.GetTopErrorsAsync(new GetTopErrorsRequest())).Errors);

        Assert.Equal(("db timeout 😀", false, string.Empty), (error.Message, error.Truncated, error.Digest));
    }
}
