namespace Microservices.TestSupport.History;

/// <summary>
/// The verdict on one key's history: how many operations were checked, how many configurations the search explored,
/// and, when it is not linearizable, a minimal set of those operations that is not linearizable either (removing any
/// one of them, other than a write whose value one of them reads, leaves a linearizable history).
/// </summary>
public sealed record KeyVerdict(string Key, Verdict Verdict, int Operations, int States, IReadOnlyList<Operation> Counterexample);
