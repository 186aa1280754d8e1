using Grpc.Core;
using Microservices.Cache.V1;
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
            telemetry.RecordConditionalWrite("unavailable");
            RpcErrors.Throw(StatusCode.Unavailable,
                $"{operation} at {level.ToString().ToUpperInvariant()} failed: its precondition could not be checked, nothing was written: {read.Describe()}");
        }

        if (!condition.Holds(read.Newest, time.GetUtcNow().ToUnixTimeMilliseconds()))
        {
            telemetry.RecordConditionalWrite("refused");
            throw WriteCondition.Refused(operation, read.Newest!.Version, "nothing was written");
        }

        return condition.PastOf(read.Newest);
    }

    /// <summary>
    /// After a conditional <paramref name="write"/> of <paramref name="entry"/> that succeeded: when an own replica
    /// refused it holding a newer version, that is a concurrent conditional write that reached the replica first and
    /// failed elsewhere (it is not undone there), and last-writer-wins would later carry it over this one (read
    /// repair, anti-entropy). So the same entry is written again, stamped after both and on the condition that a
    /// replica holds one of the two, and the acknowledged write stays the key's value. Returns the rewrite when it
    /// succeeded, else <paramref name="write"/> (still a success; the rewrite is not undone either).
    /// </summary>
    private async Task<ReplicaWrite> SettleRaceAsync(Entry entry, ReplicaWrite write, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        if (entry.Precondition is null)
        {
            return write;
        }

        if (!write.Satisfied || write.Current is not { } loser || Versions.Compare(loser, entry.Version) <= 0)
        {
            telemetry.RecordConditionalWrite(write.Satisfied ? "met" : write.FailedPrecondition ? "refused" : "unavailable");
            return write;
        }

        var both = CausalContext.Of(entry.Version).Join(CausalContext.Of(loser));
        var again = entry.Clone();
        again.Version = coordinator.Stamp(both);
        again.Precondition = WriteCondition.IfVersion(both).ToPrecondition();
        var rewrite = await coordinator.WriteAsync(again, level, cancellationToken);
        telemetry.RecordConditionalWrite(rewrite.Satisfied ? "met_after_race" : "met");
        return rewrite.Satisfied ? rewrite : write;
    }
}
