using System.Globalization;
using Grpc.Net.Client;
using Microservices.LoadGen;

if (args is ["proxy", .. var proxyArgs])
{
    return await DelayProxy.RunAsync(proxyArgs);
}

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}

var channels = Enumerable.Range(0, options.Connections)
    .Select(_ => GrpcChannel.ForAddress(options.Target, new GrpcChannelOptions
    {
        HttpHandler = new ClusterKeyHandler(options.ClusterKey) { InnerHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } },
    }))
    .ToArray();

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"target {options.Target}  concurrency {options.Concurrency}  connections {options.Connections}  duration {options.Duration.TotalSeconds:F0} s  runs {options.Runs}"));
var results = new Dictionary<string, List<LoadResult>>(StringComparer.Ordinal);
for (var run = 1; run <= options.Runs; run++)
{
    foreach (var rpc in options.Rpcs)
    {
        var origin = options.AdminKey is not null && rpc.StartsWith("gw-", StringComparison.Ordinal) ? await OriginWrites.StartAsync(channels[0], options.AdminKey) : null;
        var result = await LoadRun.RunAsync(rpc, channels, options);
        Console.WriteLine($"run {run}  {result}{(origin is null ? string.Empty : await origin.DescribeAsync())}");
        (results.TryGetValue(rpc, out var list) ? list : results[rpc] = []).Add(result);
    }
}

Console.WriteLine("median of runs:");
var medians = results.ToDictionary(r => r.Key, r => r.Value.OrderBy(x => x.CallsPerSecond).ElementAt(r.Value.Count / 2));
foreach (var median in medians.Values)
{
    var floor = medians.TryGetValue("health", out var health) && median.Rpc != "health"
        ? string.Create(CultureInfo.InvariantCulture, $"  = {median.CallsPerSecond / health.CallsPerSecond:F2}x the health floor")
        : string.Empty;
    Console.WriteLine($"  {median}{floor}");
}

foreach (var channel in channels)
{
    channel.Dispose();
}

return 0;
