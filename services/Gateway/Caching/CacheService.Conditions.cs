using Grpc.Core;
using Microservices.Gateway.Replication;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Caching;

/// <summary>
/// Conditional writes (<c>if_version</c>, <c>if_absent</c>): checked at the gateway against a read at the write's
/// level, then again by each replica, atomically with the write (see <see cref="WriteCondition"/>).
/// </summary>
public sealed partial class CacheService
{
    /// <summary>
    /// For a conditional write of <paramref name="storedKey"/>: reads the key at <paramref name="level"/> and returns
    /// the causal past the write is to descend (the condition's context joined with the version read); the stamp that
    /// follows is newer than everything the context names (<see cref="ReplicaCoordinator.Observe"/>). Throws
    /// INVALID_ARGUMENT for a context from a clock too far ahead,
    /// UNAVAILABLE when the read's level is not met (nothing is written), and FAILED_PRECONDITION, with the current
    /// version, when the condition does not hold (<see cref="WriteCondition.Refused"/>). Null (and no read) without a
    /// condition.
    /// </summary>
    private async Task<CausalContext?> CheckConditionAsync(
        string operation, string storedKey, ConsistencyLevel level, WriteCondition? condition, CancellationToken cancellationToken)
    {
        if (condition is null)
        {
            return null;
        }

        if (!coordinator.Observe(condition.Seen))
        {
            RpcErrors.Throw(StatusCode.InvalidArgument,
                "if_version holds a version ahead of this gateway's clock by more than the maximum clock offset (Gateway:MaxClockOffset)");
        }

        var read = await coordinator.ReadAsync(storedKey, level, cancellationToken);
        if (!read.Satisfied)
        {
            RpcErrors.Throw(StatusCode.Unavailable,
                $"{operation} at {level.ToString().ToUpperInvariant()} failed: its precondition could not be checked, nothing was written: {read.Describe()}");
        }

        if (!condition.Holds(read.Newest, time.GetUtcNow().ToUnixTimeMilliseconds()))
        {
            throw WriteCondition.Refused(operation, read.Newest!.Version, "nothing was written");
        }

        return condition.PastOf(read.Newest);
    }
}
