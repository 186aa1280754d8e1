using Microservices.TestSupport.History;

namespace Microservices.Gateway.Tests.History;

/// <summary>Builds hand-written histories of one key, with times in plain ticks.</summary>
internal sealed class HandWritten
{
    private readonly List<Operation> _operations = [];

    public IReadOnlyList<Operation> Operations => _operations;

    public HandWritten Write(string value, long invoked, long completed, Outcome outcome = Outcome.Ok, string key = "k") =>
        Add(key, OperationKind.Write, value, outcome, invoked, completed);

    public HandWritten Read(string? value, long invoked, long completed, Outcome outcome = Outcome.Ok, string key = "k") =>
        Add(key, OperationKind.Read, value, outcome, invoked, completed);

    public KeyVerdict Check(int maxStates = LinearizabilityChecker.DefaultMaxStates) => LinearizabilityChecker.CheckKey(_operations, maxStates);

    // Versions follow invocation order, as a single gateway's stamps would for writes that do not overlap.
    private HandWritten Add(string key, OperationKind kind, string? value, Outcome outcome, long invoked, long completed)
    {
        long? version = value is null ? null : long.Parse(value.TrimStart('v'), System.Globalization.CultureInfo.InvariantCulture);
        _operations.Add(new Operation(_operations.Count, 0, key, kind, value, outcome, invoked, completed, version));
        return this;
    }
}
