using Microservices.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// The four service projects a cluster runs: from the <c>Projects.*</c> types of an AppHost that references them
/// (<see cref="Of{TRateLimiter, TLogCollector, TCacheNode, TGateway}"/>), or from a checkout of the repository
/// (<see cref="FromSource"/>).
/// </summary>
public sealed class MicroservicesProjects
{
    private MicroservicesProjects(MicroservicesProject rateLimiter, MicroservicesProject logCollector, MicroservicesProject cacheNode, MicroservicesProject gateway)
    {
        RateLimiter = rateLimiter;
        LogCollector = logCollector;
        CacheNode = cacheNode;
        Gateway = gateway;
    }

    internal MicroservicesProject RateLimiter { get; }

    internal MicroservicesProject LogCollector { get; }

    internal MicroservicesProject CacheNode { get; }

    internal MicroservicesProject Gateway { get; }

    /// <summary>The projects an AppHost references (services/RateLimiter, LogCollector, CacheNode and Gateway).</summary>
    public static MicroservicesProjects Of<TRateLimiter, TLogCollector, TCacheNode, TGateway>()
        where TRateLimiter : IProjectMetadata, new()
        where TLogCollector : IProjectMetadata, new()
        where TCacheNode : IProjectMetadata, new()
        where TGateway : IProjectMetadata, new() =>
        new(MicroservicesProject.Of<TRateLimiter>(), MicroservicesProject.Of<TLogCollector>(),
            MicroservicesProject.Of<TCacheNode>(), MicroservicesProject.Of<TGateway>());

    /// <summary>
    /// The projects of a checkout of the repository at <paramref name="repositoryRoot"/> (a git submodule, say):
    /// <c>services/&lt;Service&gt;/&lt;Service&gt;.csproj</c>. A relative root is taken from the AppHost's directory
    /// by Aspire.
    /// </summary>
    public static MicroservicesProjects FromSource(string repositoryRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(repositoryRoot);
        MicroservicesProject At(string service) => MicroservicesProject.AtPath(Path.Combine(repositoryRoot, "services", service, service + ".csproj"));
        return new(At("RateLimiter"), At("LogCollector"), At("CacheNode"), At("Gateway"));
    }
}
