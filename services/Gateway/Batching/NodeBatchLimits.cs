using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Batching;

/// <summary>
/// Bounds of every batch of entries the gateway sends a cache node: coalesced writes, a client's MultiPut, hint
/// replay. Items: the node's batch limit. Bytes: a quarter of the message limit, counted as the entries' encoded
/// size, so a batch fits one message with room to spare whatever mix of entries it holds. An entry larger than the
/// byte bound goes alone; the gateway accepts no value whose entry would not fit one message
/// (<see cref="GatewayOptions.MaxValueBytes"/>).
/// </summary>
public static class NodeBatchLimits
{
    /// <summary>Most entries in one batch: 1000.</summary>
    public const int MaxItems = RequestLimits.MaxBatchItems;

    /// <summary>Most encoded bytes of entries in one batch, unless one entry alone is larger: 4 MiB.</summary>
    public const long MaxBytes = GrpcLimits.MaxMessageBytes / 4;
}
