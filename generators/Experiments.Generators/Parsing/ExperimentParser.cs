using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Model;
using Experiments.Spelling;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Experiments.Generators.Parsing;

/// <summary>
/// Turns one experiment file into an <see cref="ExperimentSpec"/> and diagnostics. Never throws for bad input:
/// every problem becomes a diagnostic that points at the file, line and column.
/// </summary>
internal sealed class ExperimentParser
{
    /// <summary>Nesting deeper than this is refused (the schema is flat; this only guards the recursion).</summary>
    public const int MaxDepth = 64;

    private readonly string filePath;
    private readonly SourceText text;
    private readonly int bomShift;
    private readonly ImmutableArray<DiagnosticInfo>.Builder diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();

    private ExperimentParser(string filePath, SourceText text)
    {
        this.filePath = filePath;
        this.text = text;
        bomShift = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
    }

    /// <summary>Parses <paramref name="text"/>, the content of <paramref name="filePath"/>.</summary>
    /// <param name="experimentsDirectory">The experiments folder, to name the file relative to it; may be null.</param>
    public static ParsedExperiment Parse(string filePath, SourceText? text, string? experimentsDirectory, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var parser = new ExperimentParser(filePath, text ?? SourceText.From(string.Empty));
        ExperimentSpec? spec = null;
        try
        {
            if (text is null)
            {
                parser.Report(DiagnosticDescriptors.InvalidYaml, parser.FileStart(), "The file could not be read");
            }
            else
            {
                spec = parser.ParseFile(experimentsDirectory);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A bug in the generator must surface as a diagnostic on the file, not as CS8785 with no output.
            parser.Report(DiagnosticDescriptors.InternalError, parser.FileStart(), exception.GetType().Name + ": " + exception.Message);
            spec = null;
        }

        var found = parser.diagnostics.ToImmutable();
        return new ParsedExperiment(filePath, found.IsEmpty ? spec : null, new EquatableArray<DiagnosticInfo>(found));
    }

    private ExperimentSpec? ParseFile(string? experimentsDirectory)
    {
        var name = Path.GetFileNameWithoutExtension(filePath);
        var typePrefix = Naming.ToTypePrefix(name);
        if (typePrefix is null)
        {
            Report(DiagnosticDescriptors.InvalidFileName, FileStart(), name, "it must contain at least one ASCII letter or digit");
        }

        var root = ReadDocument();
        if (root is null)
        {
            return null;
        }

        if (root is not YamlMappingNode mapping)
        {
            Report(DiagnosticDescriptors.NotAMapping, Span(root), $"An experiment file must be a mapping of keys such as 'learningRate: 0.001', but this one holds {root.Describe()}");
            return null;
        }

        var values = ReadKeys(mapping);
        if (typePrefix is null || diagnostics.Count > 0)
        {
            return null;
        }

        var dataset = values.Choice(ExperimentSchema.Dataset);
        var inputSize = values.Integer(ExperimentSchema.InputSize);
        var numClasses = values.Integer(ExperimentSchema.NumClasses);
        var (datasetInputs, datasetClasses) = ExperimentSchema.DatasetShape(dataset);
        if (inputSize != datasetInputs)
        {
            Report(DiagnosticDescriptors.DatasetMismatch, Span(values.Node(ExperimentSchema.InputSize)!), "inputSize", Invariant(inputSize), dataset, $"{datasetInputs} pixels per image");
        }

        if (numClasses != datasetClasses)
        {
            Report(DiagnosticDescriptors.DatasetMismatch, Span(values.Node(ExperimentSchema.NumClasses)!), "numClasses", Invariant(numClasses), dataset, $"{datasetClasses} classes");
        }

        var optimizer = values.Choice(ExperimentSchema.Optimizer);
        var momentum = values.Number(ExperimentSchema.Momentum);
        if (optimizer == ExperimentSchema.MomentumOptimizer)
        {
            if (values.Node(ExperimentSchema.Momentum) is not { } momentumNode)
            {
                momentum = ExperimentSchema.DefaultMomentum;
            }
            else if (momentum == 0)
            {
                Report(DiagnosticDescriptors.InvalidValue, Span(momentumNode), "momentum", "greater than 0 with optimizer 'momentum' (use 'optimizer: sgd' for plain SGD)", momentumNode.Describe());
            }
        }

        if (diagnostics.Count > 0)
        {
            return null;
        }

        return new ExperimentSpec
        {
            Name = name,
            TypePrefix = typePrefix,
            SourceFile = RelativeSourcePath(experimentsDirectory),
            Description = values.Text(ExperimentSchema.Description),
            Dataset = dataset,
            InputSize = (int)inputSize,
            NumClasses = (int)numClasses,
            Epochs = (int)values.Integer(ExperimentSchema.Epochs),
            BatchSize = (int)values.Integer(ExperimentSchema.BatchSize),
            LearningRate = values.Number(ExperimentSchema.LearningRate),
            Optimizer = optimizer,
            Momentum = momentum,
            Seed = values.Integer(ExperimentSchema.Seed),
            OutputActivation = values.Choice(ExperimentSchema.OutputActivation),
        };
    }

    /// <summary>Reads the single document of the file into a tree, or reports why it cannot.</summary>
    private YamlTreeNode? ReadDocument()
    {
        Parser? parser = null;
        try
        {
            // YamlDotNet keeps a leading U+FEFF as part of the first key; skip it (ToPosition adds it back to columns).
            parser = new Parser(new StringReader(text.ToString(TextSpan.FromBounds(bomShift, text.Length))));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                Report(DiagnosticDescriptors.NotAMapping, FileStart(), "The file is empty; an experiment file must set at least inputSize, numClasses, epochs, batchSize and learningRate");
                return null;
            }

            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, depth: 0);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                Report(DiagnosticDescriptors.NotAMapping, Span(second.Start, second.End), "The file holds more than one YAML document ('---'); put each experiment in a file of its own");
                return null;
            }

            return root is YamlScalarNode { IsNull: true } ? ReportEmpty() : root;
        }
        catch (YamlException exception)
        {
            var message = exception.Message.Trim();
            Report(DiagnosticDescriptors.InvalidYaml, Span(exception.Start, exception.End), "YAML syntax error: " + message);
            return null;
        }
        catch (UnsupportedYamlException exception)
        {
            Report(DiagnosticDescriptors.UnsupportedYaml, Span(exception.Start, exception.End), exception.Message);
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet throws this instead of a YamlException on some malformed input (an unclosed '[' or '{'
            // followed by more lines, text after '...'): point at the last element it could read.
            var last = parser?.Current;
            Report(DiagnosticDescriptors.InvalidYaml, last is null ? FileStart() : Span(last.Start, last.End), "YAML syntax error: the YAML cannot be read past this point (look for an unclosed '[', '{' or quote, or text after '...')");
            return null;
        }
    }

    private YamlTreeNode? ReportEmpty()
    {
        Report(DiagnosticDescriptors.NotAMapping, FileStart(), "The file holds no keys; an experiment file must set at least inputSize, numClasses, epochs, batchSize and learningRate");
        return null;
    }

    private static YamlTreeNode ReadNode(IParser parser, int depth)
    {
        if (depth > MaxDepth)
        {
            var current = parser.Current!;
            throw new UnsupportedYamlException($"The YAML is nested more than {MaxDepth} levels deep", current.Start, current.End);
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            return new YamlScalarNode(scalar.Value, scalar.Style, TagOf(scalar), scalar.Start, scalar.End);
        }

        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            RejectTag(sequenceStart);
            var items = ImmutableArray.CreateBuilder<YamlTreeNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, depth + 1));
            }

            return new YamlSequenceNode(items.ToImmutable(), sequenceStart.Start, sequenceStart.End);
        }

        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            RejectTag(mappingStart);
            var entries = ImmutableArray.CreateBuilder<(YamlTreeNode, YamlTreeNode)>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = ReadNode(parser, depth + 1);
                var value = ReadNode(parser, depth + 1);
                entries.Add((key, value));
            }

            return new YamlMappingNode(entries.ToImmutable(), mappingStart.Start, mappingStart.End);
        }

        if (parser.Accept<AnchorAlias>(out var alias))
        {
            throw new UnsupportedYamlException($"YAML aliases ('*{alias.Value}') are not supported in experiment files; write the value out", alias.Start, alias.End);
        }

        var unexpected = parser.Current!;
        throw new UnsupportedYamlException($"Unexpected YAML element {unexpected.GetType().Name}", unexpected.Start, unexpected.End);
    }

    private static string? TagOf(NodeEvent node)
    {
        if (node.Tag.IsEmpty || node.Tag.IsNonSpecific)
        {
            return null;
        }

        RejectTag(node);
        return null;
    }

    private static void RejectTag(NodeEvent node)
    {
        if (!node.Tag.IsEmpty && !node.Tag.IsNonSpecific)
        {
            throw new UnsupportedYamlException($"YAML tags ('{node.Tag.Value}') are not supported in experiment files; remove the tag", node.Start, node.End);
        }
    }

    private KeyValues ReadKeys(YamlMappingNode mapping)
    {
        var values = new KeyValues();
        var seen = new Dictionary<string, YamlTreeNode>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Entries)
        {
            if (keyNode is not YamlScalarNode { IsPlain: true } key || key.IsNull)
            {
                Report(DiagnosticDescriptors.UnsupportedYaml, Span(keyNode), $"Keys must be plain words such as 'epochs', not {keyNode.Describe()}");
                continue;
            }

            if (seen.TryGetValue(key.Value, out var first))
            {
                Report(DiagnosticDescriptors.DuplicateKey, Span(key), key.Value, Invariant(first.Start.Line));
                continue;
            }

            seen.Add(key.Value, key);
            var definition = ExperimentSchema.Find(key.Value);
            if (definition is null)
            {
                var suggestion = Suggest(key.Value);
                Report(
                    DiagnosticDescriptors.UnknownKey,
                    Span(key),
                    key.Value,
                    suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)",
                    string.Join(", ", ExperimentSchema.Keys.Select(k => k.Name)));
                continue;
            }

            var value = ReadValue(definition, valueNode);
            if (value is not null)
            {
                values.Set(definition, valueNode, value);
            }
        }

        foreach (var definition in ExperimentSchema.Keys)
        {
            if (definition.Required && !seen.ContainsKey(definition.Name))
            {
                Report(DiagnosticDescriptors.MissingKey, Span(mapping.Start, mapping.Start), definition.Name, definition.Expectation);
            }
        }

        return values;
    }

    /// <summary>Converts a value node to the key's type, or reports why it cannot and returns null.</summary>
    private object? ReadValue(KeyDefinition key, YamlTreeNode node)
    {
        if (node is not YamlScalarNode scalar)
        {
            return Invalid(key, node);
        }

        if (key.Kind == ValueKind.Text)
        {
            return scalar.IsNull ? string.Empty : scalar.Value;
        }

        if (!scalar.IsPlain || scalar.IsNull)
        {
            return Invalid(key, node);
        }

        switch (key.Kind)
        {
            case ValueKind.Choice:
                if (key.Choices.Contains(scalar.Value))
                {
                    return scalar.Value;
                }

                var suggestion = EditDistance.Closest(scalar.Value, key.Choices);
                return Invalid(key, node, suggestion is null ? null : $" (did you mean '{suggestion}'?)");

            case ValueKind.Integer:
                if (long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) && InRange(key, integer))
                {
                    return integer;
                }

                return Invalid(key, node);

            case ValueKind.Number:
                if (double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    && !double.IsNaN(number) && !double.IsInfinity(number) && InRange(key, number))
                {
                    return number;
                }

                return Invalid(key, node);

            default:
                return Invalid(key, node);
        }
    }

    private static bool InRange(KeyDefinition key, double value) =>
        (key.Minimum is not { } min || (key.MinimumExclusive ? value > min : value >= min))
        && (key.Maximum is not { } max || (key.MaximumExclusive ? value < max : value <= max));

    private object? Invalid(KeyDefinition key, YamlTreeNode node, string? hint = null)
    {
        Report(DiagnosticDescriptors.InvalidValue, Span(node), key.Name, key.Expectation, node.Describe() + hint);
        return null;
    }

    private static string? Suggest(string unknownKey) =>
        EditDistance.Closest(unknownKey, ExperimentSchema.Keys.Select(k => k.Name));

    private string RelativeSourcePath(string? experimentsDirectory)
    {
        var fileName = Path.GetFileName(filePath);
        if (string.IsNullOrEmpty(experimentsDirectory))
        {
            return fileName;
        }

        var directory = experimentsDirectory!.Replace('\\', '/').TrimEnd('/');
        var path = filePath.Replace('\\', '/');
        var parent = directory.LastIndexOf('/');
        if (path.StartsWith(directory + "/", StringComparison.Ordinal) && parent >= 0)
        {
            return path.Substring(parent + 1);
        }

        return fileName;
    }

    private void Report(DiagnosticDescriptor descriptor, SourceLocation location, params string[] arguments) =>
        diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    private SourceLocation FileStart() => new(filePath, new TextSpan(0, 0), new LinePositionSpan(LinePosition.Zero, LinePosition.Zero));

    private SourceLocation Span(YamlTreeNode node) => Span(node.Start, node.End);

    /// <summary>Maps YamlDotNet's 1-based line and column marks onto the file's text.</summary>
    private SourceLocation Span(Mark start, Mark end)
    {
        var startPosition = ToPosition(start);
        var endPosition = ToPosition(end);
        if (endPosition < startPosition)
        {
            endPosition = startPosition;
        }

        var lines = new LinePositionSpan(text.Lines.GetLinePosition(startPosition), text.Lines.GetLinePosition(endPosition));
        return new SourceLocation(filePath, TextSpan.FromBounds(startPosition, endPosition), lines);
    }

    private int ToPosition(Mark mark)
    {
        var lineCount = text.Lines.Count;
        var line = (int)Math.Max(0, Math.Min(mark.Line - 1, lineCount - 1));
        var textLine = text.Lines[line];
        var column = (int)Math.Max(0, mark.Column - 1) + (line == 0 ? bomShift : 0);
        return Math.Min(textLine.Start + column, textLine.End);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The valid values read from a file, by key.</summary>
    private sealed class KeyValues
    {
        private readonly Dictionary<string, (YamlTreeNode Node, object Value)> values = new(StringComparer.Ordinal);

        public void Set(KeyDefinition key, YamlTreeNode node, object value) => values[key.Name] = (node, value);

        public YamlTreeNode? Node(KeyDefinition key) => values.TryGetValue(key.Name, out var entry) ? entry.Node : null;

        public long Integer(KeyDefinition key) => (long)Get(key, s => long.Parse(s, CultureInfo.InvariantCulture));

        public double Number(KeyDefinition key) => (double)Get(key, s => double.Parse(s, CultureInfo.InvariantCulture));

        public string Text(KeyDefinition key) => (string)Get(key, s => s);

        public string Choice(KeyDefinition key) => (string)Get(key, s => s);

        private object Get(KeyDefinition key, Func<string, object> parseDefault) =>
            values.TryGetValue(key.Name, out var entry) ? entry.Value : parseDefault(key.Default ?? throw new InvalidOperationException($"Required key '{key.Name}' has no value"));
    }

    private sealed class UnsupportedYamlException : Exception
    {
        public UnsupportedYamlException(string message, Mark start, Mark end)
            : base(message)
        {
            Start = start;
            End = end;
        }

        public Mark Start { get; }

        public Mark End { get; }
    }
}
