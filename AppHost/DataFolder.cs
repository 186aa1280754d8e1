namespace Microservices.AppHost;

/// <summary>
/// The services' files in development: under <c>.data/</c> at the repository root (git-ignored), or under the
/// folder given as <c>DataFolder</c> in the AppHost's configuration (the system tests give each AppHost its own).
/// </summary>
public static class DataFolder
{
    /// <summary>The folder for this run.</summary>
    public static string Root(IDistributedApplicationBuilder builder) => builder.Configuration["DataFolder"] is { Length: > 0 } configured
        ? Path.GetFullPath(configured)
        : Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".data"));
}
