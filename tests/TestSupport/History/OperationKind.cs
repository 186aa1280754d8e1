namespace Microservices.TestSupport.History;

/// <summary>What a recorded operation did to its key's register.</summary>
public enum OperationKind
{
    /// <summary>Wrote a value (unique per write, so a read names the write it saw).</summary>
    Write,

    /// <summary>Read the register: a value, or absent.</summary>
    Read,
}
