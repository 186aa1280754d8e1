using Grpc.Core;
using Microservices.Gateway.Membership;

namespace Microservices.Gateway.Tests;

/// <summary>Which failed calls say something about a node, and so count towards SUSPECT and DOWN.</summary>
public sealed class NodeFailureKindsTests
{
    [Theory]
    [InlineData(StatusCode.Unavailable, true)]
    [InlineData(StatusCode.DeadlineExceeded, true)]
    [InlineData(StatusCode.Cancelled, true)]
    [InlineData(StatusCode.Internal, true)]
    [InlineData(StatusCode.Unknown, false)]
    [InlineData(StatusCode.InvalidArgument, false)]
    [InlineData(StatusCode.ResourceExhausted, false)]
    [InlineData(StatusCode.FailedPrecondition, false)]
    public void OnlyTransportAndTimeoutFailuresCountAgainstANode(StatusCode status, bool counts) =>
        Assert.Equal(counts, FailureDetector.IsNodeFailure(new RpcException(new Status(status, "one key's data"))));
}
