using System.ComponentModel.DataAnnotations;

namespace Microservices.Samples.WebApi.Products;

/// <summary>Where the catalog keeps its products, bound from <c>Catalog</c>.</summary>
internal sealed class CatalogOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Catalog";

    /// <summary>
    /// The SQLite file, created (with its folder) at start when missing; relative paths are taken from the content
    /// root. Default <c>products.db</c>; the AppHost puts it under <c>.data/webapi/</c>.
    /// </summary>
    [Required]
    [MinLength(1)]
    public string DatabasePath { get; set; } = "products.db";
}
