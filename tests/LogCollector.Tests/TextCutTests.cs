using System.Text;
using Microservices.ServiceDefaults;

namespace Microservices.LogCollector.Tests;

/// <summary>The shared cut of user text (services/ServiceDefaults/TextCut.cs), used wherever a service shortens text.</summary>
public sealed class TextCutTests
{
    private static void AssertWholeCharacters(string text) =>
        Assert.Equal(text, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)));

    [Theory]
    [InlineData("😀😀😀", 7, "😀")]
    [InlineData("😀😀😀", 8, "😀😀")]
    [InlineData("aé😀", 3, "aé")]
    [InlineData("aé😀", 6, "aé")]
    [InlineData("aé😀", 7, "aé😀")]
    [InlineData("日本語", 5, "日")]
    [InlineData("abc", 0, "")]
    public void AByteCutKeepsWholeCharactersOnly(string text, int maxBytes, string expected)
    {
        var cut = TextCut.ToUtf8Bytes(text, maxBytes);
        Assert.Equal(expected, cut);
        AssertWholeCharacters(cut);
    }

    [Theory]
    [InlineData("a😀b", 2, "a😀")]
    [InlineData("a😀b", 1, "a")]
    [InlineData("😀😁", 2, "😀😁")]
    [InlineData("abc", 5, "abc")]
    public void ACharacterCutCountsAnEmojiAsOneCharacter(string text, int maxChars, string expected) =>
        Assert.Equal(expected, TextCut.ToChars(text, maxChars));

    [Fact]
    public void EveryCutOfALongMixedTextEndsOnABoundaryAndFitsItsLimit()
    {
        var text = string.Concat(Enumerable.Repeat("a é 日 😀 ", 600));
        for (var limit = 0; limit < 200; limit++)
        {
            var bytes = TextCut.ToUtf8Bytes(text, limit);
            Assert.InRange(Encoding.UTF8.GetByteCount(bytes), Math.Max(0, limit - 3), limit);
            AssertWholeCharacters(bytes);
            var chars = TextCut.ToChars(text, limit);
            Assert.Equal(limit, chars.EnumerateRunes().Count());
            AssertWholeCharacters(chars);
        }
    }

    [Fact]
    public void ALoneSurrogateCountsAsOneCharacterOfThreeBytesAndNeverThrows()
    {
        var text = "ab\uD800cd";
        Assert.Equal("ab\uD800", TextCut.ToUtf8Bytes(text, 5));
        Assert.Equal("ab", TextCut.ToUtf8Bytes(text, 4));
        Assert.Equal("ab\uD800", TextCut.ToChars(text, 3));
    }

    [Fact]
    public void ATextThatFitsIsReturnedAsItIs()
    {
        var text = new string('x', 100);
        Assert.Same(text, TextCut.ToUtf8Bytes(text, 100));
        Assert.Same(text, TextCut.ToChars(text, 100));
    }
}
