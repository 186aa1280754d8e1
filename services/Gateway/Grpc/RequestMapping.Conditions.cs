using Google.Protobuf;
using Grpc.Core;
using Microservices.Gateway.Caching;
using Microservices.Gateway.Replication;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>Conditional writes and sessions: the request fields that carry them.</summary>
internal sealed partial class RequestMapping
{
    /// <summary>
    /// The condition of a write: <c>if_version</c> (a causal context from a Get), <c>if_absent</c>, or neither (null).
    /// INVALID_ARGUMENT, naming the field, for both, or an <c>if_version</c> that is not a context this cache returned
    /// (see <see cref="CausalContext.TryDecode"/>).
    /// </summary>
    public static WriteCondition? Condition(ByteString ifVersion, bool ifAbsent)
    {
        if (ifVersion.IsEmpty)
        {
            return ifAbsent ? WriteCondition.Absent : null;
        }

        if (ifAbsent)
        {
            RpcErrors.Throw(StatusCode.InvalidArgument, "if_version and if_absent: set one, not both");
        }

        RpcErrors.ThrowIfInvalid(CausalContext.TryDecode(ifVersion, "if_version", out var context));
        if (context.Entries.Count == 0)
        {
            RpcErrors.Throw(StatusCode.InvalidArgument, "if_version is not a context returned by this cache");
        }

        return WriteCondition.IfVersion(context);
    }

    /// <summary>The session a request's <c>session_token</c> carries; INVALID_ARGUMENT naming it and the limit when it is not valid.</summary>
    public Session ReadSession(ByteString token)
    {
        RpcErrors.ThrowIfInvalid(Session.TryRead(token, time.GetUtcNow().ToUnixTimeMilliseconds(), options.MaxClockOffset, out var session));
        return session;
    }
}
