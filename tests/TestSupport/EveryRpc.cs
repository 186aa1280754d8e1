using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;

namespace Microservices.TestSupport;

/// <summary>
/// Calls every RPC of the services given with raw request bodies (through a byte-array marshaller, so any bytes can
/// be sent) and reports what each call answered.
/// </summary>
public static class EveryRpc
{
    // Field 1 declared 5 bytes long with 2 present, and a lone end-group tag: neither parses as any message.
    private static readonly byte[][] AnyMessage = [[0x0a, 0x05, 0x61, 0x62], [0x0c]];

    // Field 1 holding the byte 0xff: invalid UTF-8 where field 1 is a string (elsewhere it may be valid).
    private static readonly byte[] InvalidUtf8 = [0x0a, 0x01, 0xff];

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(bytes => bytes, bytes => bytes);

    /// <summary>One call's outcome: the RPC, the body sent (hex) and the status it answered (OK when it answered).</summary>
    public sealed record Outcome(string Method, string Body, StatusCode Code, string Detail);

    /// <summary>Bodies that do not parse as the request of <paramref name="method"/>.</summary>
    public static byte[][] MalformedBodies(MethodDescriptor method) =>
        method.InputType.FindFieldByNumber(1)?.FieldType == FieldType.String ? [.. AnyMessage, InvalidUtf8] : AnyMessage;

    /// <summary>
    /// True when <paramref name="outcome"/> is the one answer every service gives a request that does not parse:
    /// INVALID_ARGUMENT, "the request is not a valid ...".
    /// </summary>
    public static bool IsMalformedRefusal(Outcome outcome) =>
        outcome.Code == StatusCode.InvalidArgument && outcome.Detail.StartsWith("the request is not a valid", StringComparison.Ordinal);

    /// <summary>The empty body: every field at its default, a request that parses for every method.</summary>
    public static byte[][] EmptyBody(MethodDescriptor method) => [[]];

    /// <summary>
    /// Calls every method of <paramref name="services"/> once with each of its <paramref name="bodies"/>, sending
    /// <paramref name="headers"/>, each call with a 10 s deadline.
    /// </summary>
    public static async Task<IReadOnlyList<Outcome>> SendAsync(
        GrpcChannel channel, Metadata? headers, Func<MethodDescriptor, byte[][]> bodies, params ServiceDescriptor[] services)
    {
        var invoker = channel.CreateCallInvoker();
        var outcomes = new List<Outcome>();
        foreach (var method in services.SelectMany(s => s.Methods))
        {
            foreach (var body in bodies(method))
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
                        await SendAsync(call.RequestStream, body);
                        await call.ResponseAsync;
                    }

                    break;
                default:
                    using (var call = invoker.AsyncDuplexStreamingCall(raw, null, options))
                    {
                        await SendAsync(call.RequestStream, body);
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

    // The server may answer (and end the call) before the request is written, e.g. refusing the caller at once: then
    // writing fails with Cancelled, and the call's own status is the one read from its response.
    private static async Task SendAsync(IClientStreamWriter<byte[]> requests, byte[] body)
    {
        try
        {
            await requests.WriteAsync(body);
            await requests.CompleteAsync();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }
}
