namespace Microservices.TestSupport.History;

/// <summary>
/// A counterexample of <see cref="SiblingsChecker"/>: <see cref="Write"/> was acknowledged before <see cref="Read"/>
/// began, the read did not return it, and no write that could have replaced it (<see cref="CausalWrite.MayCover"/>)
/// had begun before the read ended. <see cref="Returned"/> are the writes of the values the read returned.
/// </summary>
public sealed record LostWrite(CausalWrite Write, SiblingsRead Read, IReadOnlyList<CausalWrite> Returned);
