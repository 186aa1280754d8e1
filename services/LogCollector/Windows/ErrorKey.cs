using System.Globalization;
using Microservices.ServiceDefaults;

namespace Microservices.LogCollector.Windows;

/// <summary>
/// What top errors group by: a message's first <see cref="MaxChars"/> characters (cut between characters, never
/// inside one), and for a longer message a digest of its whole text. Two messages that start alike but differ
/// later are then two groups shown with the same start, never one group; memory per group stays bounded.
/// </summary>
/// <param name="Text">The message, or its first <see cref="MaxChars"/> characters.</param>
/// <param name="Digest">For a cut message, XxHash3 of the whole message's UTF-8 bytes; null when it is whole.</param>
internal readonly record struct ErrorKey(string Text, ulong? Digest)
{
    /// <summary>Characters (Unicode scalar values) a group shows and keeps of its message.</summary>
    public const int MaxChars = 256;

    /// <summary>True when <see cref="Text"/> is the start of a longer message.</summary>
    public bool Truncated => Digest.HasValue;

    /// <summary>The key of <paramref name="message"/>.</summary>
    public static ErrorKey Of(string message)
    {
        var text = TextCut.ToChars(message, MaxChars);

        // The product's one text hash (the cache's key hash): XxHash3 of the UTF-8 bytes, cheap for the 4 KiB and more.
        return text.Length == message.Length ? new(message, null) : new(text, KeyHash.Of(message));
    }

    /// <summary>The digest as 16 lowercase hex digits; empty when the message is whole.</summary>
    public string DigestText => Digest is { } digest ? digest.ToString("x16", CultureInfo.InvariantCulture) : string.Empty;

    /// <summary>Orders keys by text, then digest (ordinal): ties of equal counts come out the same way every time.</summary>
    public static IComparer<ErrorKey> Order { get; } = Comparer<ErrorKey>.Create(static (a, b) =>
    {
        var byText = string.CompareOrdinal(a.Text, b.Text);
        return byText != 0 ? byText : Nullable.Compare(a.Digest, b.Digest);
    });
}
