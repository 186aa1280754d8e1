using Microservices.Logs.V1;

namespace Microservices.LogCollector.Ingest;

/// <summary>Accounts for every entry of a batch or stream: accepted + rejected = sent, with the first reasons.</summary>
internal sealed class IngestTally
{
    /// <summary>Most rejections listed in a summary.</summary>
    public const int MaxListedRejections = 100;

    private readonly IngestSummary _summary = new();

    /// <summary>Entries seen so far; the stream index of the next batch's first entry.</summary>
    public uint Sent { get; private set; }

    /// <summary>
    /// Counts one batch of <paramref name="sent"/> entries: <paramref name="rejections"/> (batch indexes, ascending)
    /// were rejected, the rest accepted, <paramref name="truncated"/> of them with a message over 4 KiB.
    /// </summary>
    public void AddBatch(int sent, int truncated, IReadOnlyList<(int Index, EntryRejection Rejection)> rejections)
    {
        foreach (var (index, rejection) in rejections)
        {
            if (_summary.Rejections.Count == MaxListedRejections)
            {
                break;
            }

            _summary.Rejections.Add(new Rejection { Index = Sent + (uint)index, Reason = rejection.Message });
        }

        _summary.Accepted += (ulong)(sent - rejections.Count);
        _summary.Rejected += (ulong)rejections.Count;
        _summary.Truncated += (ulong)truncated;
        Sent += (uint)sent;
    }

    /// <summary>The summary so far.</summary>
    public IngestSummary ToSummary() => _summary.Clone();
}
