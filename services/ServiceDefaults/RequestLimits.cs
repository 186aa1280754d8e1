using System.Globalization;
using System.Text;

namespace Microservices.ServiceDefaults;

/// <summary>Input limits every service of the product applies the same way (DESIGN.md, cross-cutting rules).</summary>
public static class RequestLimits
{
    /// <summary>Longest key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 250;

    /// <summary>Most items in one batch call.</summary>
    public const int MaxBatchItems = 1000;

    /// <summary>Returns why <paramref name="key"/> is not a valid key, naming <paramref name="field"/>, or null.</summary>
    public static string? CheckKey(string key, string field = "key")
    {
        if (key.Length == 0)
        {
            return $"{field} must not be empty";
        }

        // A string of at most MaxKeyBytes / 3 chars cannot exceed the limit in UTF-8; count only longer ones.
        if (key.Length > MaxKeyBytes / 3)
        {
            var bytes = Encoding.UTF8.GetByteCount(key);
            if (bytes > MaxKeyBytes)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"{field} must be at most {MaxKeyBytes} UTF-8 bytes, got {bytes}");
            }
        }

        return null;
    }

    /// <summary>Returns why a batch of <paramref name="count"/> items is refused, naming <paramref name="field"/>, or null.</summary>
    public static string? CheckBatch(int count, string field) => count is 0 or > MaxBatchItems
        ? string.Create(CultureInfo.InvariantCulture, $"{field} must hold 1 to {MaxBatchItems} items, got {count}")
        : null;
}
