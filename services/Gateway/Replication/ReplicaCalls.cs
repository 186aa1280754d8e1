using Grpc.Core;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Replication;

/// <summary>Fans a read out to replicas and gathers answers until enough have succeeded.</summary>
internal static class ReplicaCalls
{
    /// <summary>
    /// Reads: calls the first <paramref name="required"/> of <paramref name="candidates"/>, and the next one each time
    /// a call fails, until <paramref name="required"/> have succeeded or none are left. Failures are described in
    /// <paramref name="failures"/>. Each call counts in its node's <see cref="ClusterNode.ReadsInFlight"/>.
    /// </summary>
    public static async Task<List<(ClusterNode Node, T Reply)>> GatherAsync<T>(
        IReadOnlyList<ClusterNode> candidates, int required, Func<ClusterNode, Task<T>> call, List<string> failures,
        CancellationToken cancellationToken)
    {
        var answers = new List<(ClusterNode, T)>(required);
        var pending = new List<(Task<T> Task, ClusterNode Node)>(required);
        var next = 0;
        for (; next < Math.Min(required, candidates.Count); next++)
        {
            pending.Add((Start(call, candidates[next]), candidates[next]));
        }

        while (pending.Count > 0 && answers.Count < required)
        {
            var finished = await Task.WhenAny(pending.Select(p => p.Task)).ConfigureAwait(false);
            var index = pending.FindIndex(p => p.Task == finished);
            var node = pending[index].Node;
            pending.RemoveAt(index);
            try
            {
                answers.Add((node, await finished.ConfigureAwait(false)));
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                failures.Add(Describe(node, ex));
                if (next < candidates.Count)
                {
                    pending.Add((Start(call, candidates[next]), candidates[next]));
                    next++;
                }
            }
        }

        return answers;
    }

    /// <summary>
    /// "node: STATUS" for an error message; a node's refusal of the request itself (INVALID_ARGUMENT, OUT_OF_RANGE)
    /// adds its reason, cut to 200 characters, since the client can act on it.
    /// </summary>
    public static string Describe(ClusterNode node, Exception exception) => exception switch
    {
        RpcException { StatusCode: StatusCode.InvalidArgument or StatusCode.OutOfRange } rpc =>
            $"{node.Name}: {rpc.StatusCode} ({TextCut.ToChars(rpc.Status.Detail, 200)})",
        RpcException rpc => $"{node.Name}: {rpc.StatusCode}",
        _ => $"{node.Name}: {exception.GetType().Name}",
    };

    // Runs the call so a synchronous throw becomes a faulted task, counted in the node's reads in flight until it ends.
    private static async Task<T> Start<T>(Func<ClusterNode, Task<T>> call, ClusterNode node)
    {
        node.BeginRead();
        try
        {
            return await call(node).ConfigureAwait(false);
        }
        finally
        {
            node.EndRead();
        }
    }
}
