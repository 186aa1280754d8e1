namespace Microservices.Gateway.Caching;

/// <summary>
/// What the cache does with concurrent writes of one key (neither had seen the other, by their version vectors).
/// Per tenant (<c>Security:ApiKeys:i:ConflictPolicy</c>), or per Put (<c>conflict_policy</c>).
/// </summary>
public enum ConflictPolicy
{
    /// <summary>The newer by hybrid timestamp (then gateway id) is kept; the other is dropped and counted. The default.</summary>
    LastWriterWins,

    /// <summary>Both are kept as siblings and returned by Get, until a Put naming the context Get returned replaces them.</summary>
    Siblings,
}
