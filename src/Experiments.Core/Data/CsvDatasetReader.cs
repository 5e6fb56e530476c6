using System.Globalization;
using System.IO.Compression;
using nietras.SeparatedValues;

namespace Experiments.Data;

/// <summary>
/// Reads a CSV dataset file: <see cref="CsvOptions.HeaderLines"/> skipped, one example per row, the label column
/// matched to the class names as text (exactly), every other column a feature (in order), parsed as a float in the
/// invariant culture. Every problem names the file, and the line and column (1-based; lines count the header lines).
/// </summary>
/// <remarks>
/// Parsing is Sep's (MIT): the fastest .NET CSV reader in its published and independent benchmarks, and it hands
/// out each cell as a span over its buffer, so a million-cell file allocates nothing per cell; Sylvan.Data.Csv is
/// close but slower, and CsvHelper maps rows to objects through reflection and allocates per cell, which this
/// numeric matrix does not need.
/// </remarks>
internal static class CsvDatasetReader
{
    /// <summary>The file's content, decompressed when its name ends in <c>.gz</c>.</summary>
    public static byte[] ReadContent(string path)
    {
        byte[] raw;
        try
        {
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {e.Message}", e);
        }

        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            return raw;
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream(raw.Length * 4);
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"corrupt gzip data ({e.Message}); a file ending in .gz must be gzip-compressed", e);
        }
    }

    /// <summary>Parses the (decompressed) content of <paramref name="path"/>.</summary>
    public static DecodedExamples Parse(byte[] content, string path, DatasetDescription description)
    {
        var options = description.Csv ?? new CsvOptions();
        int features = description.Shape[0];
        int width = features + 1;
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < description.ClassNames.Count; c++)
        {
            classes[description.ClassNames[c]] = c;
        }

        var lookup = classes.GetAlternateLookup<ReadOnlySpan<char>>();
        Sep separator;
        try
        {
            separator = new Sep(options.Separator);
        }
        catch (ArgumentException e)
        {
            throw new DataException($"Dataset '{description.Name}': the CSV separator '{options.Separator}' cannot be used ({e.Message})", e);
        }

        using var reader = separator.Reader(o => o with
        {
            HasHeader = false,
            DisableColCountCheck = true,
            Unescape = true,
            CultureInfo = CultureInfo.InvariantCulture,
        }).From(content);

        int labelColumn = -1;
        var values = new List<float>(1 << 16);
        var labels = new List<int>(1 << 12);
        int rowIndex = 0;
        foreach (var row in reader)
        {
            // Sep 0.17.1 numbers the first row's line 2 when HasHeader is false (later rows are right): it is line 1.
            int line = rowIndex == 0 ? 1 : row.LineNumberFrom;
            if (rowIndex++ < options.HeaderLines)
            {
                if (rowIndex == 1 && options.LabelColumnName is { } name)
                {
                    labelColumn = -1;
                    for (int i = 0; i < row.ColCount; i++)
                    {
                        if (row[i].Span.SequenceEqual(name))
                        {
                            labelColumn = i;
                            break;
                        }
                    }

                    if (labelColumn < 0)
                    {
                        var names = new List<string>();
                        for (int i = 0; i < Math.Min(row.ColCount, 10); i++)
                        {
                            names.Add($"'{row[i].ToString()}'");
                        }

                        throw new DataFormatException(path, $"line {line}: no column of the header is named '{name}' (the label column's name); the header starts {string.Join(", ", names)}");
                    }
                }

                continue;
            }

            if (labelColumn < 0)
            {
                labelColumn = options.LabelColumnName is not null
                    ? throw new DataException($"Dataset '{description.Name}': the label column is given by name ('{options.LabelColumnName}'), which needs a header line (headerLines >= 1)")
                    : options.LabelColumn ?? (width - 1);
                if (labelColumn >= width)
                {
                    throw new DataException($"Dataset '{description.Name}': the label column {labelColumn + 1} (labelColumn {labelColumn}, 0-based) is beyond the {width} columns of a row ({features} features and the label)");
                }
            }

            if (row.ColCount != width)
            {
                throw new DataFormatException(path, $"line {line}: {row.ColCount} columns, but {width} are expected ({features} features, as the shape [{features}] says, and the label)");
            }

            for (int i = 0; i < width; i++)
            {
                var cell = row[i].Span;
                if (i == labelColumn)
                {
                    if (!lookup.TryGetValue(cell, out int label))
                    {
                        var known = string.Join(", ", description.ClassNames.Take(10).Select(c => $"'{c}'")) + (description.ClassNames.Count > 10 ? ", ..." : "");
                        throw new DataFormatException(path, $"line {line}, column {i + 1}: the label '{cell}' is not one of the {description.ClassNames.Count} classes ({known}); labels are matched to the class names as text, exactly");
                    }

                    labels.Add(label);
                }
                else if (float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value))
                {
                    values.Add(value);
                }
                else
                {
                    throw new DataFormatException(path, $"line {line}, column {i + 1}: the cell '{cell}' is not a number (a feature cell holds a finite number, such as 3 or -0.5e2, with '.' as the decimal point)");
                }
            }
        }

        if (labels.Count == 0)
        {
            throw new DataFormatException(path, rowIndex == 0
                ? "an empty file: no rows"
                : $"no data rows: the file has only its {rowIndex} header line{(rowIndex == 1 ? "" : "s")}");
        }

        return DecodedExamples.OfFloats(features, [.. values], [.. labels]);
    }
}
