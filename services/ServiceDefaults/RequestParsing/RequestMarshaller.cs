using Google.Protobuf;
using Grpc.Core;

namespace Microservices.ServiceDefaults.RequestParsing;

/// <summary>The server-side request marshaller of every RPC: a body that does not parse is the caller's error.</summary>
internal static class RequestMarshaller
{
    /// <summary>
    /// <paramref name="inner"/>, except that a request that does not parse (truncated, a malformed tag, invalid UTF-8
    /// in a string, nesting too deep) throws INVALID_ARGUMENT naming the message type and the parser's reason.
    /// </summary>
    public static Marshaller<T> Wrap<T>(Marshaller<T> inner) => new(inner.ContextualSerializer, context =>
    {
        try
        {
            return inner.ContextualDeserializer(context);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the request is not a valid {typeof(T).Name}: {ex.Message}"));
        }
    });
}
