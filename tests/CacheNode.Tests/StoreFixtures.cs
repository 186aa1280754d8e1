using System.Text;
using Microservices.CacheNode.Store;

namespace Microservices.CacheNode.Tests;

/// <summary>Small builders for store tests.</summary>
internal static class StoreFixtures
{
    public static EntryVersion V(long timestamp, string writer = "gw-a") => new(timestamp, writer, []);

    public static EntryWrite Value(string key, string value, long timestamp, string writer = "gw-a", long expiresAtMs = long.MaxValue) =>
        new(key, Encoding.UTF8.GetBytes(value), EntryKind.Text, V(timestamp, writer), expiresAtMs, Tombstone: false);

    public static string? Read(this CacheStore store, string key) =>
        store.Get(key) is { } entry ? Encoding.UTF8.GetString(entry.Value) : null;
}
