namespace Microservices.Hosting;

/// <summary>
/// Settings an operator gives each run without editing tracked files: AppHost parameters, set with user secrets
/// (<c>dotnet user-secrets set "Parameters:alert-webhook-url" "https://..." --project AppHost</c>) or environment
/// variables (<c>Parameters__alert-webhook-url=...</c>), passed to the services as environment. The secret ones
/// (URLs that carry tokens, passwords, keys) are hidden in the dashboard.
/// </summary>
internal static class OperatorParameters
{
    /// <summary>
    /// The log collector's alert sinks: <c>alert-webhook-url</c> (secret; empty = no webhook),
    /// <c>alert-webhook-format</c> (<c>Slack</c> or <c>Alertmanager</c>), and SMTP: <c>alert-smtp-host</c> (empty = no
    /// e-mail), <c>alert-smtp-port</c>, <c>alert-smtp-username</c>, <c>alert-smtp-password</c> (secret),
    /// <c>alert-smtp-from</c>, <c>alert-smtp-to</c> (one recipient).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAlertSinkParameters(
        this IResourceBuilder<ProjectResource> collector, IDistributedApplicationBuilder builder) => collector
        .WithEnvironment("Alerting__Webhook__Url", builder.AddParameter("alert-webhook-url", string.Empty, secret: true))
        .WithEnvironment("Alerting__Webhook__Format", builder.AddParameter("alert-webhook-format", "Slack"))
        .WithEnvironment("Alerting__Email__Host", builder.AddParameter("alert-smtp-host", string.Empty))
        .WithEnvironment("Alerting__Email__Port", builder.AddParameter("alert-smtp-port", "25"))
        .WithEnvironment("Alerting__Email__UserName", builder.AddParameter("alert-smtp-username", string.Empty))
        .WithEnvironment("Alerting__Email__Password", builder.AddParameter("alert-smtp-password", string.Empty, secret: true))
        .WithEnvironment("Alerting__Email__From", builder.AddParameter("alert-smtp-from", "alerts@localhost"))
        .WithEnvironment("Alerting__Email__To__0", builder.AddParameter("alert-smtp-to", string.Empty));

    /// <summary>
    /// Tenants beyond the development one: the parameter <c>&lt;gateway&gt;-tenants</c> (e.g. <c>gateway-tenants</c>)
    /// lists their names (comma-separated, e.g. <c>acme,globex</c>), and each one's API key is the secret parameter
    /// <c>&lt;gateway&gt;-tenant-&lt;name&gt;-key</c>, <c>&lt;gateway&gt;</c> being <paramref name="prefix"/> (the first
    /// gateway's name: every gateway of the cluster takes the same tenants). The list is read when the AppHost starts,
    /// since each name declares a parameter.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithExtraTenants(
        this IResourceBuilder<ProjectResource> gateway, IDistributedApplicationBuilder builder, string prefix)
    {
        var names = builder.Configuration[$"Parameters:{prefix}-tenants"] ?? string.Empty;
        var index = 1; // index 0 is the dev tenant
        foreach (var tenant in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Several gateways of one cluster take the same tenants, so the same parameters.
            var keyName = $"{prefix}-tenant-{tenant}-key";
            var key = builder.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == keyName) is { } known
                ? builder.CreateResourceBuilder(known)
                : builder.AddParameter(keyName, secret: true);
            gateway.WithEnvironment($"Security__ApiKeys__{index}__Tenant", tenant)
                .WithEnvironment($"Security__ApiKeys__{index}__Key", key);
            index++;
        }

        return gateway;
    }
}
