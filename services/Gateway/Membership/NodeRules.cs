using System.Globalization;

namespace Microservices.Gateway.Membership;

/// <summary>
/// What a cache node's name and address must be, wherever they come from: AddNode, the configured nodes and a kept
/// topology. In one ring, names are unique and so are addresses, compared by <see cref="Normalize"/>.
/// </summary>
public static class NodeRules
{
    /// <summary>Longest node name, in characters.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Longest node address, in characters: room for any host name (253) with scheme and port.</summary>
    public const int MaxAddressLength = 300;

    /// <summary>Smallest node weight.</summary>
    public const int MinWeight = 1;

    /// <summary>
    /// Largest node weight: a node of weight w has w times <c>Gateway:VirtualNodes</c> positions on the ring, so this
    /// bounds the ring's size (and the time to build it) as well as the spread between nodes.
    /// </summary>
    public const int MaxWeight = 100;

    /// <summary>Why <paramref name="weight"/> is not a node weight (an integer from 1 to 100), naming <paramref name="field"/>; null when it is one.</summary>
    public static string? CheckWeight(long weight, string field = "weight") => weight is < MinWeight or > MaxWeight
        ? string.Create(CultureInfo.InvariantCulture, $"{field} must be an integer from {MinWeight} to {MaxWeight}, got {weight}")
        : null;

    /// <summary>
    /// Why <paramref name="name"/> is not a node name (1 to 100 ASCII letters, digits, '-', '_' and '.'), naming
    /// <paramref name="field"/>; null when it is one.
    /// </summary>
    public static string? CheckName(string name, string field = "name")
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{field} must be 1 to {MaxNameLength} characters, got {name.Length}");
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return $"{field} may hold only ASCII letters, digits, '-', '_' and '.', got '{name}'";
            }
        }

        return null;
    }

    /// <summary>
    /// Why <paramref name="address"/> is not a node address (an absolute http:// or https:// URI of scheme, host and
    /// port only, at most 300 characters), naming <paramref name="field"/>; null, with the parsed <paramref name="uri"/>,
    /// when it is one. gRPC ignores a path, so one is refused rather than silently dropped.
    /// </summary>
    public static string? CheckAddress(string address, out Uri? uri, string field = "address")
    {
        uri = null;
        if (address.Length is 0 or > MaxAddressLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{field} must be 1 to {MaxAddressLength} characters, got {address.Length}");
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https") || parsed.Host.Length == 0)
        {
            return $"{field} must be an absolute http:// or https:// URI, got '{address}'";
        }

        if (parsed.UserInfo.Length > 0 || parsed.AbsolutePath != "/" || parsed.Query.Length > 0 || parsed.Fragment.Length > 0)
        {
            return $"{field} must hold only a scheme, a host and a port (no user, path, query or fragment), got '{address}'";
        }

        uri = parsed;
        return null;
    }

    /// <summary>The address as nodes are compared: <c>scheme://host:port</c>, lower case, the default port written out.</summary>
    public static string Normalize(Uri address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address.Scheme}://{address.IdnHost.ToLowerInvariant()}:{address.Port}");

    /// <summary>
    /// Why <paramref name="nodes"/> cannot form a ring (a bad name, address or weight, a name or an address twice), each
    /// naming its item of <paramref name="field"/>; empty when they can.
    /// </summary>
    public static List<string> CheckNodes(IReadOnlyList<NodeOptions> nodes, string field)
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var addresses = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            var item = string.Create(CultureInfo.InvariantCulture, $"{field}:{i}");
            var node = nodes[i];
            var addressError = CheckAddress(node.Address, out var uri, $"{item}:Address");
            var error = CheckName(node.Name, $"{item}:Name") ?? addressError ?? CheckWeight(node.Weight, $"{item}:Weight");
            if (error is not null)
            {
                errors.Add(error);
            }
            else if (!names.Add(node.Name))
            {
                errors.Add($"{item}:Name: '{node.Name}' names two nodes");
            }
            else if (!addresses.TryAdd(Normalize(uri!), node.Name))
            {
                errors.Add($"{item}:Address: {uri} is already the address of '{addresses[Normalize(uri!)]}'");
            }
        }

        return errors;
    }
}
