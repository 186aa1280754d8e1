namespace Microservices.LogCollector.Windows;

/// <summary>Why the windows did not count an accepted entry.</summary>
internal enum EntryRefusal : byte
{
    /// <summary>Counted.</summary>
    None,

    /// <summary>Its second has already left the retention.</summary>
    TooOld,

    /// <summary>It needed a new second (or an early-freed one) and <see cref="LogCollectorOptions.MaxBytes"/> had no room.</summary>
    OverBudget,

    /// <summary>Its service was new while the budget was nearly spent: new services are refused first.</summary>
    NewServiceOverBudget,
}
