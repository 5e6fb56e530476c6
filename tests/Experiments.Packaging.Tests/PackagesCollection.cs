namespace Experiments.Packaging.Tests;

/// <summary>The test classes that share one packing of the packages (<see cref="PackagesFixture"/>), run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PackagesCollection : ICollectionFixture<PackagesFixture>
{
    public const string Name = "Packed packages";
}
