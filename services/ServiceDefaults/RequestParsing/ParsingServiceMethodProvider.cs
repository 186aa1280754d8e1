using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace Microservices.ServiceDefaults.RequestParsing;

/// <summary>
/// Binds the methods of every gRPC service of the process as grpc-dotnet's own binder does (the generated
/// <c>BindService</c> found through <see cref="BindServiceMethodAttribute"/>, each method invoked on the service
/// instance), with one difference: the request marshaller is <see cref="RequestMarshaller.Wrap{T}"/>'s, so a request
/// body that does not parse is INVALID_ARGUMENT on every RPC, streaming ones included. grpc-dotnet reads a unary or
/// server-streaming request before any interceptor runs and answers UNKNOWN for any exception that is not an
/// <see cref="RpcException"/>, so the marshaller is the one place that sees every request of every call type.
/// </summary>
/// <typeparam name="TService">The service implementation.</typeparam>
internal sealed class ParsingServiceMethodProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TService>
    : IServiceMethodProvider<TService>
    where TService : class
{
    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } bind)
            {
                var method = bind.BindType.GetMethod(
                    bind.BindMethodName, BindingFlags.Public | BindingFlags.Static, [typeof(ServiceBinderBase), type])
                    ?? throw new InvalidOperationException($"{bind.BindType} has no {bind.BindMethodName}(ServiceBinderBase, {type.Name})");
                method.Invoke(null, [new Binder(context), null]);
                return;
            }
        }
    }

    // Adds each method the generated BindService declares, with the wrapped request marshaller.
    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var info = Implementation(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(Wrap(method), Metadata(info), Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(info));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var info = Implementation(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(Wrap(method), Metadata(info), Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(info));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var info = Implementation(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(Wrap(method), Metadata(info), Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(info));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var info = Implementation(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(Wrap(method), Metadata(info), Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(info));
        }

        private static Method<TRequest, TResponse> Wrap<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
            new(method.Type, method.ServiceName, method.Name, RequestMarshaller.Wrap(method.RequestMarshaller), method.ResponseMarshaller);

        // The implementation's method, or the generated base's (which answers UNIMPLEMENTED).
        private static MethodInfo Implementation(string name, params Type[] parameters) =>
            typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
            ?? throw new InvalidOperationException($"{typeof(TService)} has no method {name}");

        private static TDelegate Invoker<TDelegate>(MethodInfo info)
            where TDelegate : Delegate => (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), info);

        // The endpoint metadata grpc-dotnet gives a method: the service's and the method's attributes, and POST only.
        private static List<object> Metadata(MethodInfo info) =>
            [.. typeof(TService).GetCustomAttributes(inherit: true), .. info.GetCustomAttributes(inherit: true),
                new HttpMethodMetadata(["POST"], acceptCorsPreflight: true)];
    }
}
