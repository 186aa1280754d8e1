using Microsoft.Extensions.Caching.Hybrid;

namespace Microservices.Samples.WebApi.Products;

/// <summary>
/// <c>GET /products/{id}</c>, read through HybridCache: its in-process L1 first, then its L2, the suite's gateway (the
/// client package's IDistributedCache), and only when both miss, the database. <c>PUT /products/{id}</c> writes the
/// database, then removes the product from both levels. The header <c>x-served-from</c> says whether this request read
/// the database (<c>database</c>) or not (<c>cache</c>).
/// </summary>
internal static partial class ProductEndpoints
{
    /// <summary>The response header that says where the product came from.</summary>
    public const string ServedFromHeader = "x-served-from";

    // The gateway keeps a product 5 minutes. HybridCache has no invalidation between instances: another instance of the
    // application may serve the old product from its L1 up to 10 s after a change.
    private static readonly HybridCacheEntryOptions Entry = new()
    {
        Expiration = TimeSpan.FromMinutes(5),
        LocalCacheExpiration = TimeSpan.FromSeconds(10),
    };

    public static IEndpointRouteBuilder MapProducts(this IEndpointRouteBuilder app)
    {
        var products = app.MapGroup("/products");
        products.MapGet("/{id:int}", GetAsync);
        products.MapPut("/{id:int}", PutAsync);
        return app;
    }

    private static string KeyOf(int id) => $"product:{id}";

    // Without the request's cancellation token: HybridCache runs a read that can be cancelled on a work item of its own,
    // which does not carry the caller's trace (dotnet/extensions#5648), so the gateway calls and the database read would
    // be traces of their own. An uncancellable read runs in the request's flow. A read is shared by every concurrent
    // request for the product, so one caller's hang-up should not stop it anyway; the gRPC deadline bounds it.
    private static async Task<IResult> GetAsync(int id, HybridCache cache, ProductStore store, HttpResponse response, ILogger<ProductStore> log)
    {
        var loaded = false;
        var product = await cache.GetOrCreateAsync(KeyOf(id), async cancel =>
        {
            loaded = true;
            var found = await store.FindAsync(id, cancel);
            LogLoaded(log, id, found is not null);
            return found;
        }, Entry);

        response.Headers[ServedFromHeader] = loaded ? "database" : "cache";
        return product is null ? Results.NotFound() : Results.Ok(product);
    }

    private static async Task<IResult> PutAsync(
        int id, ProductChange change, HybridCache cache, ProductStore store, ILogger<ProductStore> log, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (change.Name?.Trim() is not { Length: >= 1 and <= 200 })
        {
            errors["name"] = ["name must be 1 to 200 characters"];
        }

        if (change.Price is not (>= 0 and <= 1_000_000))
        {
            errors["price"] = ["price must be from 0 to 1000000"];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        var product = await store.SaveAsync(id, change.Name!.Trim(), change.Price!.Value, cancellationToken);
        await cache.RemoveAsync(KeyOf(id), cancellationToken);
        LogChanged(log, id, product.Price);
        return Results.Ok(product);
    }

    [LoggerMessage(LogLevel.Information, "Loaded product {ProductId} from the database (found: {Found})")]
    private static partial void LogLoaded(ILogger logger, int productId, bool found);

    [LoggerMessage(LogLevel.Information, "Changed product {ProductId} (price {Price}) and removed it from the cache")]
    private static partial void LogChanged(ILogger logger, int productId, decimal price);
}
