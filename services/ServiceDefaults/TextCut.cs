using System.Text;

namespace Microservices.ServiceDefaults;

/// <summary>
/// Cuts text on a character boundary, the one way every service shortens user text it keeps, ships or shows. A
/// character here is a Unicode scalar value: a cut never splits a UTF-16 surrogate pair (so an emoji is kept whole
/// or left out whole) and never a UTF-8 sequence, so a cut text never ends in a lone surrogate or turns into
/// U+FFFD on the wire. A lone surrogate already in the text counts as one character of 3 UTF-8 bytes (the U+FFFD
/// an encoder writes for it). Combining sequences (a letter and its accent, joined emoji) may be cut between their
/// scalar values. A text that fits is returned as it is, without copying.
/// </summary>
public static class TextCut
{
    /// <summary>
    /// Returns the longest start of <paramref name="text"/> of whole characters that is at most
    /// <paramref name="maxBytes"/> UTF-8 bytes; <paramref name="text"/> itself when it fits.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="maxBytes">Largest length in UTF-8 bytes; not negative.</param>
    public static string ToUtf8Bytes(string text, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);

        // A UTF-16 char is at most 3 UTF-8 bytes (a pair of 2 chars is 4): short texts need no count.
        if (text.Length <= maxBytes / 3 || Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var span = text.AsSpan();
        int end = 0, bytes = 0;
        while (end < span.Length)
        {
            Rune.DecodeFromUtf16(span[end..], out var rune, out var chars);
            if (bytes + rune.Utf8SequenceLength > maxBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            end += chars;
        }

        return text[..end];
    }

    /// <summary>
    /// Returns the first <paramref name="maxChars"/> characters (Unicode scalar values) of <paramref name="text"/>;
    /// <paramref name="text"/> itself when it has no more. The result is shorter than the text exactly when it was cut.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="maxChars">Most characters kept; not negative.</param>
    public static string ToChars(string text, int maxChars)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxChars);
        if (text.Length <= maxChars)
        {
            return text;
        }

        var span = text.AsSpan();
        var end = 0;
        for (var kept = 0; kept < maxChars && end < span.Length; kept++)
        {
            Rune.DecodeFromUtf16(span[end..], out _, out var chars);
            end += chars;
        }

        return end == span.Length ? text : text[..end];
    }
}
