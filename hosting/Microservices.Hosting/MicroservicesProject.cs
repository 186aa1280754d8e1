namespace Microservices.Hosting;

/// <summary>How to add one of the services' projects to the application model, by its metadata or by its path.</summary>
internal sealed class MicroservicesProject(Func<IDistributedApplicationBuilder, string, IResourceBuilder<ProjectResource>> add)
{
    /// <summary>Adds the project under <paramref name="name"/>, without a launch profile (the cluster sets its endpoints).</summary>
    public IResourceBuilder<ProjectResource> Add(IDistributedApplicationBuilder builder, string name) => add(builder, name);

    /// <summary>The project of the generated <c>Projects.*</c> type <typeparamref name="TProject"/>.</summary>
    public static MicroservicesProject Of<TProject>()
        where TProject : IProjectMetadata, new() => new((builder, name) => builder.AddProject<TProject>(name, launchProfileName: null));

    /// <summary>The project file at <paramref name="path"/>.</summary>
    public static MicroservicesProject AtPath(string path) =>
        new((builder, name) => builder.AddProject(name, path, options => options.ExcludeLaunchProfile = true));
}
