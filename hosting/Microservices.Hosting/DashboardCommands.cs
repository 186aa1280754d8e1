using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microservices.Hosting;

/// <summary>
/// Commands on the dashboard's resource pages that drive the gateway's Cluster service with the admin key:
/// "Fail node" on each cache node, "Join cluster" on the spare, "Show topology" on the gateway. Each answers with a
/// one-line message (the toast and the notification) and a report the dashboard opens at once: what changed, and the
/// ring after it.
/// </summary>
internal static partial class DashboardCommands
{
    // The property a failed node carries on its dashboard page, so its stop reads as the operator's.
    private const string RingProperty = "cluster.ring";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    // Aspire's stop command reports a failure when the process has not gone within about 15 s, while the orchestrator
    // goes on stopping it; a service on a busy machine can take longer than that. (Under the test host a project runs
    // through `dotnet run` and may not get the signal at all: the system test kills the node first, as a crash would.)
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// "Fail node": stops the node, tells the gateway it is gone (HandleNodeFailure), and marks the stop as the
    /// operator's: state Finished (not an exit with an error code) and a property saying it was removed from the ring.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithFailNodeCommand(
        this IResourceBuilder<ProjectResource> node, IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> adminKey) =>
        node.WithCommand("fail-node", "Fail node", async context =>
        {
            var commands = context.Services.GetRequiredService<ResourceCommandService>();
            await commands.ExecuteCommandAsync(node.Resource, KnownResourceCommands.StopCommand, context.CancellationToken);
            if (!await HasStoppedAsync(context, node.Resource))
            {
                return CommandResults.Failure(Invariant($"{node.Resource.Name} did not stop within {StopTimeout.TotalSeconds} s; it is still in the ring"));
            }

            var result = await CallAsync(gateway, adminKey, context, async cluster =>
            {
                var report = (await cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = node.Resource.Name })).Report;
                var summary = Invariant($"{node.Resource.Name} removed from the ring: {report.EntriesMoved} entries re-replicated in {Milliseconds(report.Took)} ms; {report.Topology.Nodes.Count} nodes left");
                return (summary, Markdown(summary, report.Topology));
            });
            if (result.Success)
            {
                await MarkFailedByOperatorAsync(context, node.Resource, result.Message!);
            }

            return result;
        }, new CommandOptions
        {
            Description = "Stop this node and tell the gateway it is gone: it leaves the ring and its ranges are re-replicated.",
            ConfirmationMessage = "Stop this node and remove it from the ring?",
            IconName = "PlugDisconnected",
        });

    /// <summary>"Join cluster": starts the node, waits until it is healthy, then adds it to the ring (AddNode).</summary>
    public static IResourceBuilder<ProjectResource> WithJoinClusterCommand(
        this IResourceBuilder<ProjectResource> node, IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> adminKey) =>
        node.WithCommand("join-cluster", "Join cluster", async context =>
        {
            var commands = context.Services.GetRequiredService<ResourceCommandService>();
            var started = await commands.ExecuteCommandAsync(node.Resource, KnownResourceCommands.StartCommand, context.CancellationToken);
            if (!started.Success)
            {
                return started;
            }

            var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
            await notifications.WaitForResourceHealthyAsync(node.Resource.Name, context.CancellationToken);
            var address = node.GetEndpoint(GrpcResourceExtensions.EndpointName).Url;
            return await CallAsync(gateway, adminKey, context, async cluster =>
            {
                var report = (await cluster.AddNodeAsync(new AddNodeRequest { Name = node.Resource.Name, Address = address })).Report;
                var share = report.Topology.Nodes.Single(n => n.Name == node.Resource.Name).Ownership;
                var summary = Invariant($"{node.Resource.Name} joined: owns {share:P1} of the ring; {report.EntriesMoved} entries copied in {Milliseconds(report.Took)} ms");
                return (summary, Markdown(summary, report.Topology));
            });
        }, new CommandOptions
        {
            Description = "Start this node and add it to the gateway's ring: it receives the ranges it will own first.",
            IconName = "AddCircle",
        });

    /// <summary>"Show topology": shows the ring, node states and ownership, and writes them to the gateway's log.</summary>
    public static IResourceBuilder<ProjectResource> WithShowTopologyCommand(
        this IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> adminKey) =>
        gateway.WithCommand("show-topology", "Show topology", context => CallAsync(gateway, adminKey, context, async cluster =>
        {
            var topology = (await cluster.GetTopologyAsync(new GetTopologyRequest())).Topology;
            var ring = Invariant($"Ring: {topology.Nodes.Count} nodes, N = {topology.ReplicationFactor}");
            var text = new StringBuilder(ring);
            foreach (var node in topology.Nodes)
            {
                text.Append(Invariant($"; {node.Name} {node.State} owns {node.Ownership:P1} ({node.Vnodes} vnodes, {node.Entries} entries) at {node.Address}"));
            }

            var summary = text.ToString();
            LogTopology(context.Logger, summary);
            return (summary, Markdown(ring, topology));
        }), new CommandOptions
        {
            Description = "Show the ring, each node's state and its share of the ring, and write them to this log.",
            IconName = "DataTreemap",
        });

    // Calls the gateway's Cluster service; the call's summary is the message, its report the result shown at once.
    private static async Task<ExecuteCommandResult> CallAsync(
        IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> adminKey, ExecuteCommandContext context,
        Func<Cluster.ClusterClient, Task<(string Summary, string Report)>> call)
    {
        try
        {
            var key = await adminKey.Resource.GetValueAsync(context.CancellationToken);
            using var channel = GrpcChannel.ForAddress(gateway.GetEndpoint(GrpcResourceExtensions.EndpointName).Url);
            var invoker = Grpc.Core.Interceptors.CallInvokerExtensions.Intercept(channel.CreateCallInvoker(), metadata =>
            {
                metadata.Add("x-api-key", key ?? string.Empty);
                return metadata;
            });
            var (summary, report) = await call(new Cluster.ClusterClient(invoker)).WaitAsync(CallTimeout, context.CancellationToken);
            return CommandResults.Success(summary, report, CommandResultFormat.Markdown, displayImmediately: true);
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException or HttpRequestException)
        {
            return CommandResults.Failure(ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.Message);
        }
    }

    // True once the orchestrator reports the resource stopped, within StopTimeout; after that no update of its own
    // about the stop follows, so the operator's mark stays.
    private static async Task<bool> HasStoppedAsync(ExecuteCommandContext context, ProjectResource node)
    {
        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        try
        {
            await notifications.WaitForResourceAsync(node.Name, KnownResourceStates.TerminalStates, context.CancellationToken).WaitAsync(StopTimeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async Task MarkFailedByOperatorAsync(ExecuteCommandContext context, ProjectResource node, string summary)
    {
        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        var note = Invariant($"Failed by the operator at {DateTimeOffset.UtcNow:u}: {summary}");
        await notifications.PublishUpdateAsync(node, snapshot => snapshot with
        {
            State = new ResourceStateSnapshot(KnownResourceStates.Finished, KnownResourceStateStyles.Info),
            ExitCode = null,
            Properties = [.. snapshot.Properties.Where(p => p.Name != RingProperty), new ResourcePropertySnapshot(RingProperty, note)],
        });
    }

    private static string Markdown(string summary, Topology topology)
    {
        var text = new StringBuilder(Invariant($"**{summary}**\n\n| Node | State | Share of the ring | Entries | Address |\n|---|---|---:|---:|---|\n"));
        foreach (var node in topology.Nodes)
        {
            text.Append(Invariant($"| {node.Name} | {node.State} | {node.Ownership:P1} | {node.Entries} | {node.Address} |\n"));
        }

        return text.ToString();
    }

    private static long Milliseconds(Google.Protobuf.WellKnownTypes.Duration took) => (long)took.ToTimeSpan().TotalMilliseconds;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(LogLevel.Information, "{Topology}")]
    private static partial void LogTopology(ILogger logger, string topology);
}
