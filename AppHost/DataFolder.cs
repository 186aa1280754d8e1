namespace Microservices.AppHost;

/// <summary>The services' files in development: under <c>.data/</c> at the repository root (git-ignored).</summary>
public static class DataFolder
{
    /// <summary>The gateway's origin database, given the AppHost's project folder (one level below the root).</summary>
    public static string OriginDatabase(string appHostDirectory) => Under(appHostDirectory, "origin.db");

    /// <summary>The gateway's own state (its kept topology).</summary>
    public static string Gateway(string appHostDirectory) => Under(appHostDirectory, "gateway");

    private static string Under(string appHostDirectory, string name) =>
        Path.GetFullPath(Path.Combine(appHostDirectory, "..", ".data", name));
}
