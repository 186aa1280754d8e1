using System.Globalization;
using System.Text;

namespace Microservices.ServiceDefaults;

/// <summary>Input limits every service of the product applies the same way (DESIGN.md, cross-cutting rules).</summary>
public static class RequestLimits
{
    /// <summary>Longest key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 250;

    /// <summary>
    /// Longest key a cache node stores, in UTF-8 bytes: a user key of <see cref="MaxKeyBytes"/> inside its tenant's
    /// namespace (<see cref="MaxTenantLength"/> characters and a separator) as the gateway writes it.
    /// </summary>
    public const int MaxStoredKeyBytes = MaxKeyBytes + MaxTenantLength + 1;

    /// <summary>Longest tenant id: lowercase ASCII letters, digits and '-'.</summary>
    public const int MaxTenantLength = 63;

    /// <summary>Most items in one batch call.</summary>
    public const int MaxBatchItems = 1000;

    /// <summary>Returns why <paramref name="key"/> is not a valid key, naming <paramref name="field"/>, or null.</summary>
    public static string? CheckKey(string key, string field = "key", int maxBytes = MaxKeyBytes) => IsValidKey(key, maxBytes)
        ? null
        : key.Length == 0
            ? $"{field} must not be empty"
            : string.Create(CultureInfo.InvariantCulture,
                $"{field} must be at most {maxBytes} UTF-8 bytes, got {Encoding.UTF8.GetByteCount(key)}");

    /// <summary>
    /// <see cref="CheckKey(string, string, int)"/> for item <paramref name="index"/> of the list
    /// <paramref name="field"/>; the item's name is formatted only when it is invalid.
    /// </summary>
    public static string? CheckKeyAt(string key, string field, int index, int maxBytes = MaxKeyBytes) => IsValidKey(key, maxBytes)
        ? null
        : CheckKey(key, string.Create(CultureInfo.InvariantCulture, $"{field}[{index}]"), maxBytes);

    // 1 to maxBytes UTF-8 bytes. A string of at most maxBytes / 3 chars cannot exceed the limit; only longer ones are counted.
    private static bool IsValidKey(string key, int maxBytes) =>
        key.Length != 0 && (key.Length <= maxBytes / 3 || Encoding.UTF8.GetByteCount(key) <= maxBytes);

    /// <summary>Returns why a batch of <paramref name="count"/> items is refused, naming <paramref name="field"/>, or null.</summary>
    public static string? CheckBatch(int count, string field) => count is 0 or > MaxBatchItems
        ? string.Create(CultureInfo.InvariantCulture, $"{field} must hold 1 to {MaxBatchItems} items, got {count}")
        : null;
}
