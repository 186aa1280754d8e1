namespace Microservices.AppHost;

/// <summary>Where the gateway's origin database lives in development: <c>.data/origin.db</c> under the repository root (git-ignored).</summary>
public static class OriginDatabase
{
    /// <summary>The database file, given the AppHost's project folder (one level below the repository root).</summary>
    public static string PathUnder(string appHostDirectory) =>
        Path.GetFullPath(Path.Combine(appHostDirectory, "..", ".data", "origin.db"));
}
