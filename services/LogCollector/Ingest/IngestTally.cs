using Microservices.Logs.V1;

namespace Microservices.LogCollector.Ingest;

/// <summary>Accounts for every entry of a batch or stream: accepted + rejected = sent, with the first reasons.</summary>
internal sealed class IngestTally
{
    /// <summary>Most rejections listed in a summary.</summary>
    public const int MaxListedRejections = 100;

    private readonly IngestSummary _summary = new();

    /// <summary>Entries seen so far; the index of the next one.</summary>
    public uint Sent { get; private set; }

    /// <summary>Counts an accepted entry.</summary>
    public void Accept(bool truncated)
    {
        Sent++;
        _summary.Accepted++;
        if (truncated)
        {
            _summary.Truncated++;
        }
    }

    /// <summary>Counts a rejected entry with its reason.</summary>
    public void Reject(string reason)
    {
        if (_summary.Rejections.Count < MaxListedRejections)
        {
            _summary.Rejections.Add(new Rejection { Index = Sent, Reason = reason });
        }

        Sent++;
        _summary.Rejected++;
    }

    /// <summary>The summary so far.</summary>
    public IngestSummary ToSummary() => _summary.Clone();
}
