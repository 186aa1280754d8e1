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
    /// <paramref name="call"/> gets <paramref name="state"/> with each node, so it needs no closure.
    /// </summary>
    public static async Task<List<(ClusterNode Node, T Reply)>> GatherAsync<T, TState>(
        IReadOnlyList<ClusterNode> candidates, int required, Func<ClusterNode, TState, Task<T>> call, TState state,
        List<string> failures, CancellationToken cancellationToken)
    {
        var answers = new List<(ClusterNode, T)>(required);
        var pending = new List<(Task<T> Task, ClusterNode Node)>(required);
        var next = 0;
        for (; next < Math.Min(required, candidates.Count); next++)
        {
            pending.Add((Start(call, candidates[next], state), candidates[next]));
        }

        while (pending.Count > 0 && answers.Count < required)
        {
            var index = pending.Count == 1 ? 0 : await FirstFinishedAsync(pending).ConfigureAwait(false);
            var (finished, node) = pending[index];
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
                    pending.Add((Start(call, candidates[next], state), candidates[next]));
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

    // The index of a call of `pending` that has ended (of two or more).
    private static async Task<int> FirstFinishedAsync<T>(List<(Task<T> Task, ClusterNode Node)> pending)
    {
        var tasks = new Task<T>[pending.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = pending[i].Task;
        }

        return Array.IndexOf(tasks, await Task.WhenAny(tasks).ConfigureAwait(false));
    }

    // Runs the call so a synchronous throw becomes a faulted task, counted in the node's reads in flight until it ends.
    private static async Task<T> Start<T, TState>(Func<ClusterNode, TState, Task<T>> call, ClusterNode node, TState state)
    {
        node.BeginRead();
        try
        {
            return await call(node, state).ConfigureAwait(false);
        }
        finally
        {
            node.EndRead();
        }
    }
}
