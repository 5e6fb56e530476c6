using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Experiments.Bench;

/// <summary>
/// Supplies <c>build_property.ExperimentsDirectory</c> and <c>build_property.DatasetsDirectory</c>, as MSBuild does
/// through the generated .editorconfig.
/// </summary>
internal sealed class BenchOptionsProvider(string experimentsDirectory, string datasetsDirectory) : AnalyzerConfigOptionsProvider
{
    private static readonly DictionaryOptions NoOptions = new(ImmutableDictionary<string, string>.Empty);

    public override AnalyzerConfigOptions GlobalOptions { get; } =
        new DictionaryOptions(ImmutableDictionary<string, string>.Empty
            .Add("build_property.ExperimentsDirectory", experimentsDirectory)
            .Add("build_property.DatasetsDirectory", datasetsDirectory));

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => NoOptions;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => NoOptions;

    private sealed class DictionaryOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override IEnumerable<string> Keys => values.Keys;

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
