using Grpc.Core;
using Microservices.Gateway.Membership;

namespace Microservices.Gateway.Replication;

/// <summary>Fans a call out to replicas and gathers answers until enough have succeeded.</summary>
internal static class ReplicaCalls
{
    /// <summary>
    /// Calls the first <paramref name="initial"/> of <paramref name="candidates"/>, and the next one each time a call
    /// fails, until <paramref name="required"/> have succeeded or none are left. Calls still running when enough
    /// have succeeded go on in the background (a write still lands on every replica it reaches).
    /// <paramref name="observe"/>, when given, hears every call's outcome (null exception = success), late ones
    /// included.
    /// </summary>
    public static async Task<List<(ClusterNode Node, T Reply)>> GatherAsync<T>(
        IReadOnlyList<ClusterNode> candidates, int initial, int required, Func<ClusterNode, Task<T>> call,
        List<string> failures, Action<ClusterNode, Exception?>? observe, CancellationToken cancellationToken)
    {
        var answers = new List<(ClusterNode, T)>(required);
        var pending = new List<(Task<T> Task, ClusterNode Node)>(candidates.Count);
        var next = 0;
        for (; next < Math.Min(initial, candidates.Count); next++)
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
                observe?.Invoke(node, null);
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                observe?.Invoke(node, ex);
                failures.Add(Describe(node, ex));
                if (next < candidates.Count)
                {
                    pending.Add((Start(call, candidates[next]), candidates[next]));
                    next++;
                }
            }
        }

        foreach (var (task, node) in pending)
        {
            // Reading the exception also marks a late failure as observed.
            _ = task.ContinueWith(
                t =>
                {
                    var error = t.Exception?.InnerException;
                    observe?.Invoke(node, error);
                },
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        return answers;
    }

    /// <summary>"node: STATUS" for an error message.</summary>
    public static string Describe(ClusterNode node, Exception exception) => exception is RpcException rpc
        ? $"{node.Name}: {rpc.StatusCode}"
        : $"{node.Name}: {exception.GetType().Name}";

    // Runs the call so a synchronous throw becomes a faulted task.
    private static async Task<T> Start<T>(Func<ClusterNode, Task<T>> call, ClusterNode node) => await call(node).ConfigureAwait(false);
}
