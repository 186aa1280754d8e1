using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microservices.AppHost;

/// <summary>
/// Commands on the dashboard's resource pages that drive the gateway's Cluster service with the admin key:
/// "Fail node" on each cache node, "Join cluster" on the spare, "Show topology" on the gateway.
/// </summary>
internal static partial class DashboardCommands
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>"Fail node": stops the node, then tells the gateway it is gone (HandleNodeFailure).</summary>
    public static IResourceBuilder<ProjectResource> WithFailNodeCommand(
        this IResourceBuilder<ProjectResource> node, IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> adminKey) =>
        node.WithCommand("fail-node", "Fail node", async context =>
        {
            var commands = context.Services.GetRequiredService<ResourceCommandService>();
            var stopped = await commands.ExecuteCommandAsync(node.Resource, KnownResourceCommands.StopCommand, context.CancellationToken);
            if (!stopped.Success)
            {
                return stopped;
            }

            return await CallAsync(gateway, adminKey, context, async cluster =>
            {
                var reply = await cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = node.Resource.Name });
                return string.Create(CultureInfo.InvariantCulture, $"{node.Resource.Name} removed: {reply.Report.EntriesMoved} entries re-replicated in {reply.Report.Took.ToTimeSpan().TotalMilliseconds:0} ms");
            });
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
                var reply = await cluster.AddNodeAsync(new AddNodeRequest { Name = node.Resource.Name, Address = address });
                var share = reply.Report.Topology.Nodes.Single(n => n.Name == node.Resource.Name).Ownership;
                return string.Create(CultureInfo.InvariantCulture, $"{node.Resource.Name} joined: owns {share:P1} of the ring; {reply.Report.EntriesMoved} entries copied in {reply.Report.Took.ToTimeSpan().TotalMilliseconds:0} ms");
            });
        }, new CommandOptions
        {
            Description = "Start this node and add it to the gateway's ring: it receives the ranges it will own first.",
            IconName = "AddCircle",
        });

    /// <summary>"Show topology": writes the ring, node states and ownership to the gateway's log.</summary>
    public static IResourceBuilder<ProjectResource> WithShowTopologyCommand(
        this IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> adminKey) =>
        gateway.WithCommand("show-topology", "Show topology", context => CallAsync(gateway, adminKey, context, async cluster =>
        {
            var topology = (await cluster.GetTopologyAsync(new GetTopologyRequest())).Topology;
            var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"Ring: {topology.Nodes.Count} nodes, N = {topology.ReplicationFactor}"));
            foreach (var node in topology.Nodes)
            {
                text.Append(string.Create(CultureInfo.InvariantCulture, $"; {node.Name} {node.State} owns {node.Ownership:P1} ({node.Vnodes} vnodes, {node.Entries} entries) at {node.Address}"));
            }

            var summary = text.ToString();
            LogTopology(context.Logger, summary);
            return summary;
        }), new CommandOptions
        {
            Description = "Write the ring, each node's state and its share of the ring to this log.",
            IconName = "DataTreemap",
        });

    private static async Task<ExecuteCommandResult> CallAsync(
        IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> adminKey, ExecuteCommandContext context,
        Func<Cluster.ClusterClient, Task<string>> call)
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
            var message = await call(new Cluster.ClusterClient(invoker)).WaitAsync(CallTimeout, context.CancellationToken);
            return new ExecuteCommandResult { Success = true, Message = message };
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException or HttpRequestException)
        {
            return new ExecuteCommandResult { Success = false, Message = ex.Message };
        }
    }

    [LoggerMessage(LogLevel.Information, "{Topology}")]
    private static partial void LogTopology(ILogger logger, string topology);
}
