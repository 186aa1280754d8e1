using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Membership;

/// <summary>The configured nodes (<c>Gateway:Nodes</c>) follow <see cref="NodeRules"/>, checked at start.</summary>
public sealed class ConfiguredNodesValidator : IValidateOptions<GatewayOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = NodeRules.CheckNodes(options.Nodes, $"{GatewayOptions.Section}:{nameof(GatewayOptions.Nodes)}");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
