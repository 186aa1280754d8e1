using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Caching;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Origin;
using Microservices.Gateway.Rebalancing;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>Maps <c>microservices.gateway.v1.Cluster</c> onto the membership and its changes.</summary>
internal sealed partial class ClusterGrpcService(
    ClusterMembership membership, ClusterAdmin admin, OriginAccess origin, CacheService cache, AntiEntropy antiEntropy,
    OriginTelemetry originTelemetry) : Cluster.ClusterBase
{
    private static readonly TimeSpan StatsTimeout = TimeSpan.FromMilliseconds(500);

    public override async Task<GetTopologyResponse> GetTopology(GetTopologyRequest request, ServerCallContext context) =>
        new() { Topology = await TopologyAsync(membership.View, context.CancellationToken) };

    public override Task<GetOriginStatsResponse> GetOriginStats(GetOriginStatsRequest request, ServerCallContext context)
    {
        if (origin.Store is not { } store)
        {
            return Task.FromResult(new GetOriginStatsResponse { Configured = false });
        }

        var stats = store.PoolStats;
        var options = origin.Options;
        return Task.FromResult(new GetOriginStatsResponse
        {
            Configured = true,
            Path = store.Location,
            WritePolicy = options.WritePolicy.ToString(),
            Pool = new V1.PoolStats
            {
                Total = (uint)stats.Total,
                Active = (uint)stats.Active,
                Idle = (uint)stats.Idle,
                Waiting = (uint)stats.Waiting,
                Timeouts = (ulong)stats.Timeouts,
                Created = (ulong)stats.Created,
                Destroyed = (ulong)stats.Destroyed,
                MinConnections = (uint)options.Pool.MinConnections,
                MaxConnections = (uint)options.Pool.MaxConnections,
            },
            Loads = (ulong)cache.OriginLoads,
            SharedLoads = (ulong)cache.SharedOriginLoads,
            WriteTransactions = (ulong)originTelemetry.Transactions,
            RowsWritten = (ulong)originTelemetry.RowsWritten,
            WriteBack = cache.WriteBackLog is { } log
                ? new WriteBackStats
                {
                    Path = log.Folder,
                    Depth = (ulong)log.Depth,
                    Bytes = (ulong)log.Bytes,
                    Lag = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(log.Lag),
                    FlushedSequence = (ulong)log.FlushedSequence,
                    Syncs = (ulong)log.Syncs,
                }
                : null,
        });
    }

    public override Task<LocateResponse> Locate(LocateRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key)
            ?? (request.Tenant.Length is 0 or > RequestLimits.MaxTenantLength ? $"tenant must be 1 to {RequestLimits.MaxTenantLength} characters" : null));
        var hash = KeyHash.Of(CacheService.StoredKey(request.Tenant, request.Key));
        return Task.FromResult(new LocateResponse
        {
            Nodes = { membership.View.Ring.PreferenceNames(hash, membership.ReplicationFactor) },
            KeyHash = hash,
        });
    }

    public override async Task<AddNodeResponse> AddNode(AddNodeRequest request, ServerCallContext context)
    {
        var addressError = NodeRules.CheckAddress(request.Address, out var address);
        var weight = request.HasWeight ? request.Weight : 1;
        RpcErrors.ThrowIfInvalid(NodeRules.CheckName(request.Name) ?? addressError ?? NodeRules.CheckWeight(weight));
        var result = await admin.AddNodeAsync(request.Name, address!, weight, context.CancellationToken);
        return new AddNodeResponse { Report = await ReportAsync(result, context.CancellationToken) };
    }

    public override async Task<RemoveNodeResponse> RemoveNode(RemoveNodeRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(NodeRules.CheckName(request.Name));
        var result = await admin.RemoveNodeAsync(request.Name, context.CancellationToken);
        return new RemoveNodeResponse { Report = await ReportAsync(result, context.CancellationToken) };
    }

    public override async Task<HandleNodeFailureResponse> HandleNodeFailure(HandleNodeFailureRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(NodeRules.CheckName(request.Name));
        var result = await admin.HandleNodeFailureAsync(request.Name, context.CancellationToken);
        return new HandleNodeFailureResponse { Report = await ReportAsync(result, context.CancellationToken) };
    }

    public override async Task<SetNodeWeightResponse> SetNodeWeight(SetNodeWeightRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(NodeRules.CheckName(request.Name) ?? NodeRules.CheckWeight(request.Weight));
        var result = await admin.SetNodeWeightAsync(request.Name, request.Weight, context.CancellationToken);
        return new SetNodeWeightResponse { Report = await ReportAsync(result, context.CancellationToken) };
    }

    private async Task<RebalanceReport> ReportAsync(RebalanceResult result, CancellationToken cancellationToken) => new()
    {
        EntriesMoved = (ulong)result.EntriesMoved,
        Took = ProtoTime.ToDuration(result.Took),
        Topology = await TopologyAsync(result.View, cancellationToken),
    };

    private async Task<Topology> TopologyAsync(ClusterView view, CancellationToken cancellationToken)
    {
        var ownership = view.Ring.Ownership();
        var nodes = await Task.WhenAll(view.Nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).Select(async node => new Node
        {
            Name = node.Name,
            Address = node.Address.ToString(),
            State = node.State switch
            {
                MemberState.Up => NodeState.Up,
                MemberState.Suspect => NodeState.Suspect,
                MemberState.Down => NodeState.Down,
                MemberState.Joining => NodeState.Joining,
                MemberState.Recovering => NodeState.Recovering,
                _ => NodeState.Leaving,
            },
            Vnodes = (uint)(view.Ring.VirtualNodes * view.Ring.WeightOf(node.Name)),
            Weight = (uint)node.Weight,
            Ownership = ownership.GetValueOrDefault(node.Name),
            Entries = await EntriesAsync(node, cancellationToken),
        }));
        var topology = new Topology { Nodes = { nodes }, ReplicationFactor = (uint)membership.ReplicationFactor, Epoch = view.Epoch };
        if (view.PendingRing is not null && membership.Config is { } config && config.Epoch == view.Epoch)
        {
            topology.ChangedBy = config.ChangedBy;
            topology.ChangeLeaseUntil = ProtoTime.FromUnixMilliseconds(config.LeaseUntilUnixMs);
        }

        return topology;
    }

    private static async Task<ulong> EntriesAsync(ClusterNode node, CancellationToken cancellationToken)
    {
        try
        {
            var stats = await node.Client.GetStatsAsync(new GetStatsRequest(), deadline: DateTime.UtcNow + StatsTimeout, cancellationToken: cancellationToken);
            return stats.Entries;
        }
        catch (RpcException)
        {
            return 0;
        }
    }
}
