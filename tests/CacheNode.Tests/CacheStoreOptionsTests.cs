using System.ComponentModel.DataAnnotations;
using Microservices.CacheNode.Store;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Tests;

public sealed class CacheStoreOptionsTests
{
    [Theory]
    [InlineData(GrpcLimits.MaxConfigurableValueBytes, true)]
    [InlineData(GrpcLimits.MaxConfigurableValueBytes + 1, false)]
    [InlineData(64 * 1024 * 1024, false)]
    [InlineData(0, false)]
    public void AValueLimitMustLetEveryStoredEntryFitOneMessage(int maxValueBytes, bool valid)
    {
        var options = new CacheStoreOptions { NodeName = "node", MaxValueBytes = maxValueBytes };
        var errors = new List<ValidationResult>();

        var accepted = Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);

        Assert.Equal(valid, accepted);
        Assert.Equal(valid, !errors.Any(e => e.MemberNames.Contains(nameof(CacheStoreOptions.MaxValueBytes))));
    }
}
