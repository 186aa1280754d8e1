using System.Collections;
using Grpc.Core;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// The structured state of one request log record: what <c>[LoggerMessage]</c> would generate, written by hand because
/// the response time must travel as the attribute <see cref="LogRecordAttributes.ResponseTimeMs"/> without being part of
/// the message (the collector groups error messages by their text, which must not vary with the time taken).
/// </summary>
/// <param name="Method">The gRPC method path, e.g. <c>/microservices.cache.v1.Cache/Get</c>.</param>
/// <param name="Status">The call's status.</param>
/// <param name="Detail">The status detail, already cut to the collector's message limit; null when none.</param>
/// <param name="ResponseTimeMs">Handling time in milliseconds.</param>
internal readonly record struct RequestLogState(string Method, StatusCode Status, string? Detail, double ResponseTimeMs)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    /// <summary>Attribute carrying <see cref="Method"/>.</summary>
    public const string MethodAttribute = "grpc.method";

    /// <summary>Attribute carrying <see cref="Status"/> by name.</summary>
    public const string StatusAttribute = "grpc.status";

    /// <inheritdoc />
    public int Count => 3;

    /// <inheritdoc />
    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new(MethodAttribute, Method),
        1 => new(StatusAttribute, Status.ToString()),
        2 => new(LogRecordAttributes.ResponseTimeMs, ResponseTimeMs),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>The message: <c>&lt;method&gt; &lt;status&gt;</c>, then <c>: &lt;detail&gt;</c> when there is one.</summary>
    public static string Format(RequestLogState state, Exception? exception) =>
        string.IsNullOrEmpty(state.Detail) ? $"{state.Method} {state.Status}" : $"{state.Method} {state.Status}: {state.Detail}";

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => Format(this, null);
}
