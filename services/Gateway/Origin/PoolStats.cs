namespace Microservices.Gateway.Origin;

/// <summary>
/// A consistent snapshot of a pool: <c>Total = Active + Idle</c> always (a connection being opened for a caller
/// counts as active).
/// </summary>
/// <param name="Total">Connections open or being opened.</param>
/// <param name="Active">Connections lent out (or being opened for a caller).</param>
/// <param name="Idle">Connections open and free.</param>
/// <param name="Waiting">Callers waiting for a connection.</param>
/// <param name="Timeouts">Acquires that gave up at the timeout, since start.</param>
/// <param name="Created">Connections opened, since start.</param>
/// <param name="Destroyed">Connections closed, since start.</param>
public readonly record struct PoolStats(int Total, int Active, int Idle, int Waiting, long Timeouts, long Created, long Destroyed);
