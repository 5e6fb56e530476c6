using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Experiments.Generators.Tests.Infrastructure;

/// <summary>Supplies <c>build_property.*</c> values, as MSBuild does through the generated .editorconfig.</summary>
internal sealed class TestOptionsProvider : AnalyzerConfigOptionsProvider
{
    private static readonly DictionaryOptions NoOptions = new(ImmutableDictionary<string, string>.Empty);

    public TestOptionsProvider(IReadOnlyDictionary<string, string> globalOptions)
    {
        GlobalOptions = new DictionaryOptions(globalOptions.ToImmutableDictionary());
    }

    public override AnalyzerConfigOptions GlobalOptions { get; }

    /// <summary>
    /// Options with <c>build_property.ExperimentsDirectory</c> set (not when it is null), and
    /// <c>build_property.DatasetsDirectory</c> (the harness's, unless given; not when null), and any other
    /// <paramref name="buildProperties"/> (by property name, without <c>build_property.</c>).
    /// </summary>
    public static TestOptionsProvider WithExperimentsDirectory(string? experimentsDirectory, string? datasetsDirectory = GeneratorHarness.DatasetsDirectory, IReadOnlyDictionary<string, string>? buildProperties = null)
    {
        var options = ImmutableDictionary<string, string>.Empty;
        foreach (var (name, value) in buildProperties ?? ImmutableDictionary<string, string>.Empty)
        {
            options = options.SetItem("build_property." + name, value);
        }

        if (experimentsDirectory is not null)
        {
            options = options.Add("build_property.ExperimentsDirectory", experimentsDirectory);
        }

        if (datasetsDirectory is not null)
        {
            options = options.Add("build_property.DatasetsDirectory", datasetsDirectory);
        }

        return new(options);
    }

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => NoOptions;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => NoOptions;

    private sealed class DictionaryOptions : AnalyzerConfigOptions
    {
        private readonly ImmutableDictionary<string, string> values;

        public DictionaryOptions(ImmutableDictionary<string, string> values)
        {
            this.values = values;
        }

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);

        public override IEnumerable<string> Keys => values.Keys;
    }
}
