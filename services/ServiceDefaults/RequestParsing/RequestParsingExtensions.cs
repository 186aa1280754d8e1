using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microservices.ServiceDefaults.RequestParsing;

/// <summary>Registers the shared rule for requests that do not parse.</summary>
internal static class RequestParsingExtensions
{
    // grpc-dotnet's binder of generated services (internal); replaced, not added to, or every method would be bound twice.
    private const string GrpcBinderName = "BinderServiceMethodProvider`1";

    /// <summary>
    /// Binds every gRPC service with <see cref="ParsingServiceMethodProvider{TService}"/> instead of grpc-dotnet's
    /// binder. Call after every <c>AddGrpc*</c> registration (each would add grpc-dotnet's binder back). Throws when
    /// that binder is not registered, so a Grpc.AspNetCore upgrade that renames it fails at start, not at a request.
    /// </summary>
    public static IServiceCollection AddRequestParsingRule(this IServiceCollection services)
    {
        var binder = services.SingleOrDefault(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name == GrpcBinderName)
            ?? throw new InvalidOperationException($"grpc-dotnet's {GrpcBinderName} is not registered: call after AddGrpc()");
        services.Remove(binder);
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(ParsingServiceMethodProvider<>)));
        return services;
    }
}
