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
/// Turns one experiment file into an <see cref="ExperimentDocument"/> and diagnostics. Never throws for bad input:
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
    private readonly FileKind kind;
    private SourceLocation? mappingStart;

    private ExperimentParser(string filePath, SourceText text, FileKind kind)
    {
        this.filePath = filePath;
        this.text = text;
        this.kind = kind;
        bomShift = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
    }

    /// <summary>Files larger than this are refused: an experiment file is a dozen lines.</summary>
    public const int MaxLength = 1_000_000;

    /// <summary>Parses <paramref name="text"/>, the content of <paramref name="filePath"/>.</summary>
    /// <param name="experimentsDirectory">The experiments folder, to name the file relative to it; may be null.</param>
    public static ExperimentDocument Parse(string filePath, SourceText? text, string? experimentsDirectory, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var parser = new ExperimentParser(filePath, text ?? SourceText.From(string.Empty), FileKind.Experiment);
        var entries = ImmutableArray<DocumentEntry>.Empty;
        var (name, typePrefix, sourceFile) = parser.ReadFile(text, experimentsDirectory, () => entries = parser.ReadEntries());

        return new ExperimentDocument(
            filePath,
            name,
            typePrefix,
            sourceFile,
            parser.mappingStart ?? parser.FileStart(),
            new EquatableArray<DocumentEntry>(entries),
            DiagnosticCap.Apply(parser.diagnostics).ToEquatableArray())
        {
            TextSha256 = text is null ? null : ConfigurationHash.OfText(text.ToString()),
        };
    }

    /// <summary>
    /// Reads a file of another kind (a dataset description) with the same rules for its name, its text and its YAML:
    /// its top-level mapping as a value tree (null when there is none), and every problem found on the way.
    /// </summary>
    /// <param name="directory">The folder of such files, to name the file relative to its parent; may be null.</param>
    public static ParsedFile ReadTree(string filePath, SourceText? text, string? directory, FileKind kind, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var parser = new ExperimentParser(filePath, text ?? SourceText.From(string.Empty), kind);
        YamlMap? root = null;
        var (name, typePrefix, sourceFile) = parser.ReadFile(text, directory, () => root = parser.ReadRoot());
        return new ParsedFile(name, typePrefix, sourceFile, parser.mappingStart ?? parser.FileStart(), root, parser.diagnostics.ToImmutable());
    }

    /// <summary>Checks the file's name and text, then runs <paramref name="read"/> on its content; never throws.</summary>
    private (string Name, string? TypePrefix, string SourceFile) ReadFile(SourceText? text, string? directory, Action read)
    {
        var parser = this;
        var name = string.Empty;
        string? typePrefix = null;
        var sourceFile = filePath;
        try
        {
            // Inside the try: .NET Framework's Path throws on characters such as '<' and '|'.
            name = Path.GetFileNameWithoutExtension(filePath);
            typePrefix = Naming.ToTypePrefix(name);
            sourceFile = ExperimentPaths.InProject(filePath, directory) ?? Path.GetFileName(filePath);
            // The name past the last '/' or '\' (a Windows path on any OS): a '\' never reaches the check here, the
            // build's own check (Experiments.Generators.targets) refuses one in a file name.
            var fileName = ExperimentPaths.FileName(filePath);
            var bareName = Path.GetFileNameWithoutExtension(fileName);
            if (!Naming.IsCommandLineSafe(bareName))
            {
                // Reported alone, and the file is not read further: the compiler may not even have read it (a '"'
                // breaks its command line), and the one thing to do is to rename it.
                var extension = fileName.Substring(bareName.Length);
                parser.Report(DiagnosticDescriptors.FileNameNotCommandLineSafe, parser.FileStart(), Naming.Printable(fileName), Naming.SuggestCommandLineSafe(bareName) + extension);
                typePrefix = null;
            }
            else
            {
                if (typePrefix is null)
                {
                    parser.Report(DiagnosticDescriptors.InvalidFileName, parser.FileStart(), name, "it must contain at least one ASCII letter or digit");
                }

                if (text is null)
                {
                    parser.Report(DiagnosticDescriptors.InvalidYaml, parser.FileStart(), "The file could not be read");
                }
                else if (parser.CheckText(text))
                {
                    read();
                }
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A bug in the generator must surface as a diagnostic on the file, not as CS8785 with no output.
            parser.Report(DiagnosticDescriptors.InternalError, parser.FileStart(), exception.GetType().Name + ": " + exception.Message);
        }

        return (name, typePrefix, sourceFile);
    }

    /// <summary>Refuses text that is too large or was not UTF-8; true when the text can be parsed.</summary>
    private bool CheckText(SourceText source)
    {
        if (source.Length > MaxLength)
        {
            Report(DiagnosticDescriptors.FileTooLarge, FileStart(), source.Length.ToString(CultureInfo.InvariantCulture), MaxLength.ToString(CultureInfo.InvariantCulture));
            return false;
        }

        // The compiler decodes bytes that are not valid UTF-8 as U+FFFD (or, given another code page, reads the
        // file in it): either would change the file's text without a word, so refuse it and point at the spot.
        if (source.Encoding is { } encoding && encoding.CodePage is not (65001 or 1200 or 1201 or 12000 or 12001))
        {
            Report(DiagnosticDescriptors.NotUtf8, FileStart(), $"the compiler read it as '{encoding.WebName}'");
            return false;
        }

        var replacement = source.ToString().IndexOf('\uFFFD');
        if (replacement >= 0)
        {
            var span = new TextSpan(replacement, 1);
            Report(DiagnosticDescriptors.NotUtf8, new SourceLocation(filePath, span, source.Lines.GetLinePositionSpan(span)), "these bytes could not be decoded (the compiler shows them as U+FFFD, the replacement character)");
            return false;
        }

        return true;
    }

    private ImmutableArray<DocumentEntry> ReadEntries()
    {
        var root = ReadDocument();
        if (root is null)
        {
            return ImmutableArray<DocumentEntry>.Empty;
        }

        if (root is not YamlMappingNode mapping)
        {
            Report(DiagnosticDescriptors.NotAMapping, Span(root), $"An experiment file must be a mapping of keys such as 'learningRate: 0.001', but this one holds {root.Describe()}");
            return ImmutableArray<DocumentEntry>.Empty;
        }

        mappingStart = Span(mapping.Start, mapping.Start);
        return ReadKeys(mapping);
    }

    /// <summary>The file's mapping as a value tree (its keys checked: plain words, each once), or null after reporting why not.</summary>
    private YamlMap? ReadRoot()
    {
        var root = ReadDocument();
        if (root is null)
        {
            return null;
        }

        if (root is not YamlMappingNode mapping)
        {
            Report(DiagnosticDescriptors.NotAMapping, Span(root), $"A {kind.Noun} must be a mapping of keys such as '{kind.Example}', but this one holds {root.Describe()}");
            return null;
        }

        mappingStart = Span(mapping.Start, mapping.Start);
        return new YamlMap(MapEntries(mapping, kind.Example.Split(':')[0]), Span(mapping));
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
                Report(DiagnosticDescriptors.NotAMapping, FileStart(), "The file is empty; " + kind.Needs);
                return null;
            }

            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, kind.Plural, depth: 0);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                Report(DiagnosticDescriptors.NotAMapping, Span(second.Start, second.End), "The file holds more than one YAML document ('---'); " + kind.OnePerFile);
                return null;
            }

            return root is YamlScalarNode { IsNull: true } ? ReportEmpty() : root;
        }
        catch (YamlException exception)
        {
            var message = exception.Message.Trim();
            Report(DiagnosticDescriptors.InvalidYaml, Span(exception.Start, exception.End), "YAML syntax error: " + message + SyntaxHint(message));
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

    /// <summary>What usually causes the parser's most common complaints, in the terms of an experiment file.</summary>
    private string SyntaxHint(string message)
    {
        if (text.ToString().IndexOf('\t') >= 0 && message.IndexOf("cannot start any token", StringComparison.Ordinal) >= 0)
        {
            return " (YAML does not allow tabs for indentation; use spaces)";
        }

        if (message.IndexOf("mapping", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            return $" (check the indentation: every key of {kind.WithArticle} starts at the beginning of its line, and a value that holds ': ' must be quoted)";
        }

        return string.Empty;
    }

    private YamlTreeNode? ReportEmpty()
    {
        Report(DiagnosticDescriptors.NotAMapping, FileStart(), "The file holds no keys; " + kind.Needs);
        return null;
    }

    private static YamlTreeNode ReadNode(IParser parser, string files, int depth)
    {
        if (depth > MaxDepth)
        {
            var current = parser.Current!;
            throw new UnsupportedYamlException($"The YAML is nested more than {MaxDepth} levels deep", current.Start, current.End);
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            return new YamlScalarNode(scalar.Value, scalar.Style, TagOf(scalar, files), scalar.Start, scalar.End);
        }

        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            RejectTag(sequenceStart, files);
            var items = ImmutableArray.CreateBuilder<YamlTreeNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, files, depth + 1));
            }

            return new YamlSequenceNode(items.ToImmutable(), sequenceStart.Start, sequenceStart.End);
        }

        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            RejectTag(mappingStart, files);
            var entries = ImmutableArray.CreateBuilder<(YamlTreeNode, YamlTreeNode)>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = ReadNode(parser, files, depth + 1);
                var value = ReadNode(parser, files, depth + 1);
                entries.Add((key, value));
            }

            return new YamlMappingNode(entries.ToImmutable(), mappingStart.Start, mappingStart.End);
        }

        if (parser.Accept<AnchorAlias>(out var alias))
        {
            throw new UnsupportedYamlException($"YAML aliases ('*{alias.Value}') are not supported in {files}; write the value out", alias.Start, alias.End);
        }

        var unexpected = parser.Current!;
        throw new UnsupportedYamlException($"Unexpected YAML element {unexpected.GetType().Name}", unexpected.Start, unexpected.End);
    }

    private static string? TagOf(NodeEvent node, string files)
    {
        if (node.Tag.IsEmpty || node.Tag.IsNonSpecific)
        {
            return null;
        }

        RejectTag(node, files);
        return null;
    }

    private static void RejectTag(NodeEvent node, string files)
    {
        if (!node.Tag.IsEmpty && !node.Tag.IsNonSpecific)
        {
            throw new UnsupportedYamlException($"YAML tags ('{node.Tag.Value}') are not supported in {files}; remove the tag", node.Start, node.End);
        }
    }

    private ImmutableArray<DocumentEntry> ReadKeys(YamlMappingNode mapping)
    {
        var entries = ImmutableArray.CreateBuilder<DocumentEntry>();
        var seen = new Dictionary<string, YamlTreeNode>(StringComparer.Ordinal);
        YamlTreeNode? sweepBlock = null;
        foreach (var (key, valueNode) in CheckedKeys(mapping, "epochs", seen))
        {
            if (key.Value == ModelParser.ModelKey)
            {
                var tree = ToValue(valueNode);
                entries.Add(new DocumentEntry(key.Value, ImmutableArray.Create(YamlText.Canonical(tree)).ToEquatableArray(), false, Span(valueNode))
                {
                    Trees = ImmutableArray.Create(tree).ToEquatableArray(),
                });
                continue;
            }

            if (key.Value == ExperimentSchema.SweepKey)
            {
                sweepBlock = valueNode;
                continue;
            }

            var definition = ExperimentSchema.Find(key.Value);
            if (definition is null)
            {
                ReportUnknownKey(key, key.Value);
                continue;
            }

            if (valueNode is YamlSequenceNode)
            {
                Report(definition.Sweepable ? DiagnosticDescriptors.ListNeedsSweep : DiagnosticDescriptors.InvalidSweep, Span(valueNode), definition.Sweepable ? new[] { key.Value } : new[] { key.Value, "it cannot be swept: give one value, not a list" });
                continue;
            }

            if (ReadSingle(definition, valueNode) is { } entry)
            {
                entries.Add(entry);
            }
        }

        if (sweepBlock is not null)
        {
            ReadSweepBlock(sweepBlock, seen, entries);
        }

        return entries.ToImmutable();
    }

    private void ReportUnknownKey(YamlScalarNode key, string name)
    {
        var valid = ExperimentSchema.Keys.Select(k => k.Name).Concat(new[] { ModelParser.ModelKey, ExperimentSchema.SweepKey }).ToList();
        var suggestion = EditDistance.Closest(name, valid);
        Report(
            DiagnosticDescriptors.UnknownKey,
            Span(key),
            name,
            suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)",
            string.Join(", ", valid));
    }

    /// <summary>
    /// The <c>sweep</c> block: each key names a key of the file (<c>learningRate</c>) or a path into the model
    /// (<c>model.mlp.hidden</c>, <c>model.layers.0.conv2d.channels</c>), each value is the list of its values.
    /// </summary>
    private void ReadSweepBlock(YamlTreeNode block, Dictionary<string, YamlTreeNode> seen, ImmutableArray<DocumentEntry>.Builder entries)
    {
        if (block is not YamlMappingNode mapping || mapping.Entries.Length == 0)
        {
            Report(DiagnosticDescriptors.InvalidValue, Span(block), ExperimentSchema.SweepKey, "a mapping from keys to lists of values, e.g. 'sweep: { learningRate: [0.001, 0.01] }'", block.Describe());
            return;
        }

        foreach (var (key, valueNode) in CheckedKeys(mapping, "learningRate", new Dictionary<string, YamlTreeNode>(StringComparer.Ordinal)))
        {
            var path = key.Value;
            var head = path.Split('.')[0];
            if (seen.TryGetValue(head, out var set) && head != ExperimentSchema.SweepKey && (head != ModelParser.ModelKey || path == head))
            {
                Report(DiagnosticDescriptors.InvalidSweepKey, Span(key), path, $"is also set at line {Invariant(set.Start.Line)}; set it there or sweep it here, not both");
                continue;
            }

            if (valueNode is not YamlSequenceNode list)
            {
                Report(DiagnosticDescriptors.InvalidValue, Span(valueNode), "sweep." + path, $"the list of values to try, e.g. '{path}: [...]'", valueNode.Describe());
                continue;
            }

            if (path == ModelParser.ModelKey || head == ModelParser.ModelKey)
            {
                if (ReadModelSweep(key, path, list) is { } modelSweep)
                {
                    entries.Add(modelSweep);
                }

                continue;
            }

            var definition = ExperimentSchema.Find(path);
            if (definition is null)
            {
                var valid = ExperimentSchema.Keys.Where(k => k.Sweepable).Select(k => k.Name).Concat(new[] { ModelParser.ModelKey }).ToList();
                var suggestion = EditDistance.Closest(path, valid);
                Report(DiagnosticDescriptors.InvalidSweepKey, Span(key), path, $"is not a key of an experiment file{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; keys that can be swept: {string.Join(", ", valid)}, and paths into the model such as 'model.mlp.hidden'");
                continue;
            }

            if (ReadSweep(definition, list) is { } entry)
            {
                entries.Add(entry);
            }
        }
    }

    /// <summary>A sweep of the model or of a path into it: each value kept as a tree, checked once substituted.</summary>
    private DocumentEntry? ReadModelSweep(YamlScalarNode key, string path, YamlSequenceNode list)
    {
        var segments = path.Split('.');
        if (segments.Skip(1).Any(s => s.Length == 0))
        {
            Report(DiagnosticDescriptors.InvalidSweepKey, Span(key), path, "has an empty step; write a path such as 'model.mlp.hidden' or 'model.layers.0.conv2d.channels'");
            return null;
        }

        if (!CheckListSize(path, list))
        {
            return null;
        }

        var trees = ImmutableArray.CreateBuilder<YamlValue>();
        var texts = ImmutableArray.CreateBuilder<string>();
        var seenTexts = new HashSet<string>(StringComparer.Ordinal);
        var valid = true;
        foreach (var item in list.Items)
        {
            var tree = ToValue(item);
            var text = YamlText.Canonical(tree);
            if (!seenTexts.Add(text))
            {
                Report(DiagnosticDescriptors.InvalidSweep, Span(item), path, $"the value {text} is listed twice");
                valid = false;
                continue;
            }

            trees.Add(tree);
            texts.Add(text);
        }

        return valid ? new DocumentEntry(path, texts.ToEquatableArray(), true, Span(key)) { Trees = trees.ToEquatableArray() } : null;
    }

    private bool CheckListSize(string name, YamlSequenceNode list)
    {
        if (list.Items.Length == 0)
        {
            Report(DiagnosticDescriptors.InvalidSweep, Span(list), name, "the list is empty: give at least one value");
            return false;
        }

        if (list.Items.Length > ExperimentSchema.MaxSweepValues)
        {
            Report(DiagnosticDescriptors.InvalidSweep, Span(list), name, $"it holds {list.Items.Length.ToString(CultureInfo.InvariantCulture)} values, more than the {ExperimentSchema.MaxSweepValues.ToString(CultureInfo.InvariantCulture)} one list may hold");
            return false;
        }

        return true;
    }

    /// <summary>
    /// The entries of <paramref name="mapping"/> whose keys are plain words set once, in file order and one at a time
    /// (so that the caller's diagnostics stay in file order): a key that is not (quoted, a list, empty) or is set again
    /// is reported and left out. <paramref name="seen"/> collects the keys, by word.
    /// </summary>
    /// <param name="example">A key of this mapping, for the message about one that is not a plain word.</param>
    private IEnumerable<(YamlScalarNode Key, YamlTreeNode Value)> CheckedKeys(YamlMappingNode mapping, string example, Dictionary<string, YamlTreeNode> seen)
    {
        foreach (var (keyNode, valueNode) in mapping.Entries)
        {
            if (keyNode is not YamlScalarNode { IsPlain: true } key || key.IsNull)
            {
                Report(DiagnosticDescriptors.UnsupportedYaml, Span(keyNode), $"Keys must be plain words such as '{example}', not {keyNode.Describe()}");
                continue;
            }

            if (seen.TryGetValue(key.Value, out var first))
            {
                Report(DiagnosticDescriptors.DuplicateKey, Span(key), key.Value, Invariant(first.Start.Line));
                continue;
            }

            seen.Add(key.Value, key);
            yield return (key, valueNode);
        }
    }

    /// <summary>A node of the file as an equatable value with its locations.</summary>
    private YamlValue ToValue(YamlTreeNode node) => node switch
    {
        YamlScalarNode scalar => new YamlScalar(scalar.Value, scalar.IsPlain, Span(scalar)),
        YamlSequenceNode list => new YamlList(list.Items.Select(ToValue).ToEquatableArray(), Span(list)),
        YamlMappingNode map => new YamlMap(MapEntries(map), Span(map)),
        _ => throw new InvalidOperationException("Unexpected YAML node " + node.GetType().Name),
    };

    private EquatableArray<YamlEntry> MapEntries(YamlMappingNode map, string example = "channels")
    {
        var entries = ImmutableArray.CreateBuilder<YamlEntry>(map.Entries.Length);
        foreach (var (key, valueNode) in CheckedKeys(map, example, new Dictionary<string, YamlTreeNode>(StringComparer.Ordinal)))
        {
            entries.Add(new YamlEntry(key.Value, Span(key), ToValue(valueNode)));
        }

        return entries.ToEquatableArray();
    }

    private DocumentEntry? ReadSingle(KeyDefinition key, YamlTreeNode node)
    {
        var value = ReadValue(key, node);
        return value is null ? null : new DocumentEntry(key.Name, ImmutableArray.Create(value).ToEquatableArray(), false, Span(node));
    }

    /// <summary>A list value: one experiment per item. Every item must be a valid value, and appear once.</summary>
    private DocumentEntry? ReadSweep(KeyDefinition key, YamlSequenceNode list)
    {
        if (!key.Sweepable)
        {
            Report(DiagnosticDescriptors.InvalidSweep, Span(list), key.Name, "it cannot be swept: give one value, not a list");
            return null;
        }

        if (!CheckListSize(key.Name, list))
        {
            return null;
        }

        var values = ImmutableArray.CreateBuilder<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var valid = true;
        foreach (var item in list.Items)
        {
            var value = ReadValue(key, item);
            if (value is null)
            {
                valid = false;
            }
            else if (!seen.Add(value))
            {
                Report(DiagnosticDescriptors.InvalidSweep, Span(item), key.Name, $"the value {value} is listed twice");
                valid = false;
            }
            else
            {
                values.Add(value);
            }
        }

        return valid ? new DocumentEntry(key.Name, values.ToEquatableArray(), true, Span(list)) : null;
    }

    /// <summary>Converts a value node to the key's canonical text, or reports why it cannot and returns null.</summary>
    private string? ReadValue(KeyDefinition key, YamlTreeNode node)
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

            case ValueKind.Boolean:
                return scalar.Value switch
                {
                    "true" or "True" or "TRUE" => "true",
                    "false" or "False" or "FALSE" => "false",
                    _ => Invalid(key, node),
                };

            case ValueKind.Integer:
                if (long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) && InRange(key, integer))
                {
                    return Invariant(integer);
                }

                return Invalid(key, node);

            case ValueKind.Number:
                if (double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    && !double.IsNaN(number) && !double.IsInfinity(number) && InRange(key, number))
                {
                    // -0 reads as 0: one spelling, one name, on every runtime.
                    return (number == 0 ? 0 : number).ToString("R", CultureInfo.InvariantCulture);
                }

                return Invalid(key, node);

            default:
                return Invalid(key, node);
        }
    }

    private static bool InRange(KeyDefinition key, double value) =>
        (key.Minimum is not { } min || (key.MinimumExclusive ? value > min : value >= min))
        && (key.Maximum is not { } max || (key.MaximumExclusive ? value < max : value <= max));

    private string? Invalid(KeyDefinition key, YamlTreeNode node, string? hint = null)
    {
        Report(DiagnosticDescriptors.InvalidValue, Span(node), key.Name, key.Expectation, node.Describe() + hint);
        return null;
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
