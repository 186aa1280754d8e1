namespace Microservices.Samples.WebApi.Products;

/// <summary>A product of the catalog: its id, name, price (in the shop's currency) and when it last changed.</summary>
internal sealed record Product(int Id, string Name, decimal Price, DateTimeOffset UpdatedAt);
