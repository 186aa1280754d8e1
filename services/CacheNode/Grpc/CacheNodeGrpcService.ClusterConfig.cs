using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.CacheNode.Cluster;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Grpc;

/// <summary>The cluster's configuration, held for the gateways (<see cref="ClusterConfigRegister"/>).</summary>
internal sealed partial class CacheNodeGrpcService
{
    /// <summary>Trailer carrying the node's epoch when a proposal is refused as made on another epoch.</summary>
    public const string EpochTrailer = "x-cluster-epoch";

    private const int MaxProposalIdLength = 200;
    private const int MaxMembers = 1024;

    public override Task<GetClusterConfigResponse> GetClusterConfig(GetClusterConfigRequest request, ServerCallContext context)
    {
        var (epoch, config) = clusterConfig.Current;
        var reply = new GetClusterConfigResponse { Epoch = epoch };
        if (epoch > request.KnownEpoch && config is not null)
        {
            reply.Config = ClusterConfig.Parser.ParseFrom(config);
        }

        return Task.FromResult(reply);
    }

    public override Task<ProposeClusterConfigResponse> ProposeClusterConfig(ProposeClusterConfigRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(CheckConfig(request.Config, "config")
            ?? (request.Config.Epoch <= request.BaseEpoch ? $"config.epoch: {request.Config.Epoch} must be above base_epoch {request.BaseEpoch}" : null)
            ?? (request.ProposalId.Length is 0 or > MaxProposalIdLength ? $"proposal_id: must be 1 to {MaxProposalIdLength} characters" : null));
        var result = clusterConfig.Propose(request.BaseEpoch, request.ProposalId);
        switch (result.Outcome)
        {
            case ProposeOutcome.StaleBase:
                context.ResponseTrailers.Add(EpochTrailer, result.Epoch.ToString(CultureInfo.InvariantCulture));
                RpcErrors.Throw(StatusCode.FailedPrecondition,
                    $"base_epoch: the node's configuration is at epoch {result.Epoch}, not {request.BaseEpoch}; a change is made on the current configuration");
                break;
            case ProposeOutcome.Held:
                RpcErrors.Throw(StatusCode.Aborted,
                    $"another proposal on epoch {result.Epoch} is held ({result.HeldId}), for at most {ClusterConfigRegister.ProposalHold.TotalSeconds:F0} s");
                break;
        }

        return Task.FromResult(new ProposeClusterConfigResponse { Epoch = result.Epoch });
    }

    public override Task<CommitClusterConfigResponse> CommitClusterConfig(CommitClusterConfigRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(CheckConfig(request.Config, "config"));
        var applied = clusterConfig.Commit(request.Config.Epoch, request.Config.ToByteArray());
        return Task.FromResult(new CommitClusterConfigResponse { Epoch = clusterConfig.Current.Epoch, Applied = applied });
    }

    private static string? CheckConfig(ClusterConfig? config, string field) => config switch
    {
        null => $"{field}: required",
        { Epoch: 0 } => $"{field}.epoch: must be above 0",
        { Members.Count: 0 or > MaxMembers } => $"{field}.members: must be 1 to {MaxMembers}",
        _ => null,
    };
}
