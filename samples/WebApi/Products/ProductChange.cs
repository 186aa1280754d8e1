namespace Microservices.Samples.WebApi.Products;

/// <summary>The body of <c>PUT /products/{id}</c>: the product's new name (1 to 200 characters) and price (0 to 1,000,000).</summary>
internal sealed record ProductChange(string? Name, decimal? Price);
