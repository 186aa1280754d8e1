using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;

namespace Microservices.TestSupport;

/// <summary>
/// Sends request bodies no request message parses to every RPC of a service, as raw bytes through a byte-array
/// marshaller, and reports what each call answered.
/// </summary>
public static class MalformedRequests
{
    // Field 1 declared 5 bytes long with 2 present, and a lone end-group tag: neither parses as any message.
    private static readonly byte[][] AnyMessage = [[0x0a, 0x05, 0x61, 0x62], [0x0c]];

    // Field 1 holding the byte 0xff: invalid UTF-8 where field 1 is a string (elsewhere it may be valid).
    private static readonly byte[] InvalidUtf8 = [0x0a, 0x01, 0xff];

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(bytes => bytes, bytes => bytes);

    /// <summary>One call's outcome: the RPC, the body sent (hex) and the status it answered (OK when it answered).</summary>
    public sealed record Outcome(string Method, string Body, StatusCode Code, string Detail);

    /// <summary>Calls every method of <paramref name="services"/> with each malformed body, sending <paramref name="headers"/>.</summary>
    public static async Task<IReadOnlyList<Outcome>> SendAsync(GrpcChannel channel, Metadata? headers, params ServiceDescriptor[] services)
    {
        var invoker = channel.CreateCallInvoker();
        var outcomes = new List<Outcome>();
        foreach (var method in services.SelectMany(s => s.Methods))
        {
            var bodies = method.InputType.FindFieldByNumber(1)?.FieldType == FieldType.String ? [.. AnyMessage, InvalidUtf8] : AnyMessage;
            foreach (var body in bodies)
            {
                var (code, detail) = await CallAsync(invoker, method, body, new CallOptions(headers, DateTime.UtcNow.AddSeconds(10)));
                outcomes.Add(new Outcome(method.FullName, Convert.ToHexString(body), code, detail));
            }
        }

        return outcomes;
    }

    private static async Task<(StatusCode Code, string Detail)> CallAsync(CallInvoker invoker, MethodDescriptor method, byte[] body, CallOptions options)
    {
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var raw = new Method<byte[], byte[]>(type, method.Service.FullName, method.Name, Raw, Raw);
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(raw, null, options, body).ResponseAsync;
                    break;
                case MethodType.ServerStreaming:
                    using (var call = invoker.AsyncServerStreamingCall(raw, null, options, body))
                    {
                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }

                    break;
                case MethodType.ClientStreaming:
                    using (var call = invoker.AsyncClientStreamingCall(raw, null, options))
                    {
                        await call.RequestStream.WriteAsync(body);
                        await call.RequestStream.CompleteAsync();
                        await call.ResponseAsync;
                    }

                    break;
                default:
                    using (var call = invoker.AsyncDuplexStreamingCall(raw, null, options))
                    {
                        await call.RequestStream.WriteAsync(body);
                        await call.RequestStream.CompleteAsync();
                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }

                    break;
            }

            return (StatusCode.OK, string.Empty);
        }
        catch (RpcException ex)
        {
            return (ex.StatusCode, ex.Status.Detail);
        }
    }
}
