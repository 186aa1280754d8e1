using System.Text.RegularExpressions;

namespace Microservices.Gateway.Tests;

/// <summary>
/// The gateway's folders are layers and imports run one way, down: gRPC mapping (with the edge's security and rate
/// limiting), then the application (cache service, membership changes that move data), then replication, then
/// membership and routing, then the clients of what lies outside (batching to nodes, the origin database). Checked on
/// the source files: any mention of <c>Microservices.Gateway.X</c> in a folder of a lower layer than X fails.
/// </summary>
public sealed partial class GatewayLayeringTests
{
    // Higher numbers sit higher. V1 is the gateway's public API: only the edge sees it.
    private static readonly Dictionary<string, int> Layers = new(StringComparer.Ordinal)
    {
        ["Grpc"] = 4, ["Http"] = 4, ["Security"] = 4, ["RateLimiting"] = 4, ["V1"] = 4,
        ["Caching"] = 3, ["Rebalancing"] = 3,
        ["Replication"] = 2,
        ["Membership"] = 1, ["Routing"] = 1,
        ["Batching"] = 0, ["Origin"] = 0, ["WriteBack"] = 0,
    };

    [Fact]
    public void NoGatewayFolderImportsAHigherLayer() =>
        Assert.Empty(Violations(Path.Combine(RepositoryRoot(), "services", "Gateway")));

    [Fact]
    public void AMembershipFileThatImportsReplicationIsAViolation()
    {
        var root = Directory.CreateTempSubdirectory("layers-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "Membership"));
            File.WriteAllText(Path.Combine(root, "Membership", "Node.cs"), "using Microservices.Gateway.Routing;\nusing Microservices.Gateway.Replication;\n");
            Assert.Equal(["Membership/Node.cs -> Replication"], Violations(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    // "Folder/File.cs -> Target" for every mention of a higher layer's namespace in the folders under root.
    private static List<string> Violations(string root)
    {
        var violations = new List<string>();
        foreach (var folder in Directory.GetDirectories(root).Select(Path.GetFileName).Where(name => name is not ("bin" or "obj" or "Properties")))
        {
            Assert.True(Layers.ContainsKey(folder!), $"services/Gateway/{folder} has no layer in this test: give it one");
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder!), "*.cs", SearchOption.AllDirectories))
            {
                foreach (Match match in GatewayNamespace().Matches(File.ReadAllText(file)))
                {
                    var target = match.Groups[1].Value;
                    if (Layers.TryGetValue(target, out var layer) && layer > Layers[folder!])
                    {
                        violations.Add($"{folder}/{Path.GetFileName(file)} -> {target}");
                    }
                }
            }
        }

        return violations;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Microservices.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Microservices.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"\bMicroservices\.Gateway\.(\w+)")]
    private static partial Regex GatewayNamespace();
}
