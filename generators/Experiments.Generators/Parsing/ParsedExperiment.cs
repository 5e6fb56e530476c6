using Experiments.Generators.Diagnostics;
using Experiments.Generators.Model;

namespace Experiments.Generators.Parsing;

/// <summary>What the parser made of one file: a spec when the file is valid, and every problem it found.</summary>
internal sealed record ParsedExperiment(string FilePath, ExperimentSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
