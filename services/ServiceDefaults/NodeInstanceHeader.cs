namespace Microservices.ServiceDefaults;

/// <summary>
/// The response header in which a cache node names this run of itself: an id of 32 hex digits drawn at every start
/// (the <c>instance_id</c> of GetStats). A gateway that sees it change knows the node restarted, and with it lost
/// what it held in memory, however quickly it came back.
/// </summary>
public static class NodeInstanceHeader
{
    /// <summary>The header's name.</summary>
    public const string Name = "x-node-instance";
}
