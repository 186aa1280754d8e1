using Grpc.Core;
using Microservices.Cache.V1;

namespace Microservices.CacheNode.Tests;

/// <summary>The cluster configuration a node keeps for the gateways: a compare-and-set on an epoch that only grows.</summary>
public sealed partial class CacheNodeGrpcTests
{
    private static ClusterConfig Config(ulong epoch, params string[] nodes) => new()
    {
        Epoch = epoch,
        ChangedBy = "gateway-1",
        Members = { nodes.Select(n => new ClusterMember { Name = n, Address = $"http://{n}", Weight = 1, NextWeight = 1, State = ClusterMemberState.Active }) },
    };

    private async Task ProposeAndCommitAsync(ulong baseEpoch, ClusterConfig config)
    {
        await _client.ProposeClusterConfigAsync(new ProposeClusterConfigRequest { BaseEpoch = baseEpoch, ProposalId = $"p{config.Epoch}", Config = config });
        await _client.CommitClusterConfigAsync(new CommitClusterConfigRequest { Config = config });
    }

    [Fact]
    public async Task ANodeStartsWithoutAConfigurationAtEpochZero()
    {
        var reply = await _client.GetClusterConfigAsync(new GetClusterConfigRequest());

        Assert.Equal(0UL, reply.Epoch);
        Assert.Null(reply.Config);
    }

    [Fact]
    public async Task AProposalIsNotSeenUntilItIsCommitted()
    {
        await _client.ProposeClusterConfigAsync(new ProposeClusterConfigRequest { BaseEpoch = 0, ProposalId = "p1", Config = Config(1, "a", "b") });
        Assert.Equal(0UL, (await _client.GetClusterConfigAsync(new GetClusterConfigRequest())).Epoch);

        await _client.CommitClusterConfigAsync(new CommitClusterConfigRequest { Config = Config(1, "a", "b") });

        var reply = await _client.GetClusterConfigAsync(new GetClusterConfigRequest());
        Assert.Equal(1UL, reply.Epoch);
        Assert.Equal(Config(1, "a", "b"), reply.Config);
    }

    [Fact]
    public async Task GetClusterConfigLeavesTheConfigurationOutForACallerThatHasItsEpoch()
    {
        await ProposeAndCommitAsync(0, Config(1, "a"));

        var reply = await _client.GetClusterConfigAsync(new GetClusterConfigRequest { KnownEpoch = 1 });

        Assert.Equal(1UL, reply.Epoch);
        Assert.Null(reply.Config);
    }

    [Fact]
    public async Task AProposalMadeOnAnOldEpochIsRefusedWithTheNodesEpochAndNothingIsHeld()
    {
        await ProposeAndCommitAsync(0, Config(1, "a"));
        await ProposeAndCommitAsync(1, Config(2, "a", "b"));

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.ProposeClusterConfigAsync(
            new ProposeClusterConfigRequest { BaseEpoch = 1, ProposalId = "stale", Config = Config(2, "a", "c") }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("epoch 2", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("2", error.Trailers.GetValue("x-cluster-epoch"));
        await _client.ProposeClusterConfigAsync(new ProposeClusterConfigRequest { BaseEpoch = 2, ProposalId = "next", Config = Config(3, "a") });
        Assert.Equal(Config(2, "a", "b"), (await _client.GetClusterConfigAsync(new GetClusterConfigRequest())).Config);
    }

    [Fact]
    public async Task ASecondProposalOnTheSameEpochIsAbortedUntilTheFirstIsHeldNoLonger()
    {
        await _client.ProposeClusterConfigAsync(new ProposeClusterConfigRequest { BaseEpoch = 0, ProposalId = "first", Config = Config(1, "a") });

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.ProposeClusterConfigAsync(
            new ProposeClusterConfigRequest { BaseEpoch = 0, ProposalId = "second", Config = Config(1, "b") }).ResponseAsync);
        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Contains("first", error.Status.Detail, StringComparison.Ordinal);

        await _client.ProposeClusterConfigAsync(new ProposeClusterConfigRequest { BaseEpoch = 0, ProposalId = "first", Config = Config(1, "a") });
        _app.Time.Advance(TimeSpan.FromSeconds(10));
        await _client.ProposeClusterConfigAsync(new ProposeClusterConfigRequest { BaseEpoch = 0, ProposalId = "second", Config = Config(1, "b") });
    }

    [Fact]
    public async Task ACommitOfAnEpochNotAboveTheNodesChangesNothing()
    {
        await ProposeAndCommitAsync(0, Config(1, "a"));
        await ProposeAndCommitAsync(1, Config(2, "a", "b"));

        var reply = await _client.CommitClusterConfigAsync(new CommitClusterConfigRequest { Config = Config(2, "x") });
        var older = await _client.CommitClusterConfigAsync(new CommitClusterConfigRequest { Config = Config(1, "y") });

        Assert.False(reply.Applied);
        Assert.False(older.Applied);
        Assert.Equal(Config(2, "a", "b"), (await _client.GetClusterConfigAsync(new GetClusterConfigRequest())).Config);
    }

    [Fact]
    public async Task ACommitOfANewerEpochBringsANodeThatIsBehindUpToDate()
    {
        var reply = await _client.CommitClusterConfigAsync(new CommitClusterConfigRequest { Config = Config(7, "a") });

        Assert.True(reply.Applied);
        Assert.Equal(7UL, reply.Epoch);
    }

    [Theory]
    [InlineData(1, 1, "p", 1, "config.epoch: 1 must be above base_epoch 1")]
    [InlineData(0, 0, "p", 1, "config.epoch: must be above 0")]
    [InlineData(0, 1, "", 1, "proposal_id: must be 1 to 200 characters")]
    [InlineData(0, 1, "p", 0, "config.members: must be 1 to 1024")]
    public async Task ABadProposalIsRefusedNamingTheField(ulong baseEpoch, ulong epoch, string id, int members, string message)
    {
        var config = Config(epoch, [.. Enumerable.Range(0, members).Select(i => $"n{i}")]);

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.ProposeClusterConfigAsync(
            new ProposeClusterConfigRequest { BaseEpoch = baseEpoch, ProposalId = id, Config = config }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
        Assert.Equal(0UL, (await _client.GetClusterConfigAsync(new GetClusterConfigRequest())).Epoch);
    }
}
