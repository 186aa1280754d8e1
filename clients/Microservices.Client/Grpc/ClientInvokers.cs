using Grpc.Core;

// The generated clients (compiled in this assembly) give the package their call invoker, so a second client of the
// same service, such as its health client, goes over the same channel, handlers and credentials.
#pragma warning disable IDE0130 // The partials must be in the generated types' namespaces.
namespace Microservices.Gateway.V1
{
    public static partial class Cache
    {
        public partial class CacheClient
        {
            internal CallInvoker Invoker => CallInvoker;
        }
    }
}

namespace Microservices.RateLimit.V1
{
    public static partial class RateLimiter
    {
        public partial class RateLimiterClient
        {
            internal CallInvoker Invoker => CallInvoker;
        }
    }
}

namespace Microservices.Logs.V1
{
    public static partial class LogCollector
    {
        public partial class LogCollectorClient
        {
            internal CallInvoker Invoker => CallInvoker;
        }
    }
}
#pragma warning restore IDE0130
