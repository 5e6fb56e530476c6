using System.Buffers.Binary;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Experiments.Models;

namespace Experiments.History;

/// <summary>
/// How a result's model is stored: its summary as JSON in <c>results.model</c>, and its full state in
/// <c>result_state</c>, one row per entry (name, shape as a JSON array, parameter or buffer, the values as
/// little-endian float32). A value blob whose length does not match its shape, or a missing entry, throws
/// <see cref="DamagedRowException"/> naming the row.
/// </summary>
internal static class ModelRows
{
    public static string Summary(ModelSummary model)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", model.Kind.ToString().ToLowerInvariant());
            writer.WriteString("architecture", model.Architecture);
            Ints(writer, "inputShape", model.InputShape);
            writer.WriteStartArray("layers");
            foreach (var layer in model.Layers)
            {
                writer.WriteStartObject();
                writer.WriteString("name", layer.Name);
                writer.WriteString("type", layer.Type);
                if (layer.OutputShape is { } shape)
                {
                    Ints(writer, "outputShape", shape);
                }

                writer.WriteNumber("parameters", layer.Parameters);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteNumber("parameterCount", model.ParameterCount);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static ModelSummary ReadSummary(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var kindText = root.GetProperty("kind").GetString();
        var kind = Enum.TryParse<ModelKind>(kindText, ignoreCase: true, out var known) && Enum.IsDefined(known)
            ? known
            : throw new FormatException($"unknown model kind '{kindText}'");
        return new ModelSummary(
            kind,
            root.GetProperty("architecture").GetString() ?? throw new FormatException("architecture is null"),
            ReadInts(root.GetProperty("inputShape")),
            root.GetProperty("layers").EnumerateArray().Select(layer => new LayerSummary(
                layer.GetProperty("name").GetString() ?? throw new FormatException("a layer's name is null"),
                layer.GetProperty("type").GetString() ?? throw new FormatException("a layer's type is null"),
                layer.TryGetProperty("outputShape", out var shape) ? ReadInts(shape) : null,
                layer.GetProperty("parameters").GetInt64())).ToList(),
            root.GetProperty("parameterCount").GetInt64());
    }

    /// <summary>Writes every entry of <paramref name="state"/> as rows of <paramref name="resultId"/>.</summary>
    public static void InsertState(DbCommand command, long resultId, ModelState state)
    {
        command.Sql("""
            INSERT INTO result_state (result_id, position, name, shape, is_parameter, value_count, value_data)
            VALUES (@result, @position, @name, @shape, @parameter, @count, @data)
            """);
        var result = command.Add("@result", DbType.Int64);
        var position = command.Add("@position", DbType.Int64);
        var name = command.Add("@name", DbType.String);
        var shape = command.Add("@shape", DbType.String);
        var parameter = command.Add("@parameter", DbType.Int64);
        var count = command.Add("@count", DbType.Int64);
        var data = command.Add("@data", DbType.Binary);
        for (var i = 0; i < state.Entries.Count; i++)
        {
            var entry = state.Entries[i];
            var elements = Elements(entry.Shape);
            if (elements != entry.Values.Length)
            {
                throw new ArgumentException($"state entry '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}] ({elements} values) but {entry.Values.Length} values");
            }

            result.Value = resultId;
            position.Value = (long)i;
            name.Value = entry.Name;
            shape.Value = "[" + string.Join(",", entry.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
            parameter.Value = entry.IsParameter ? 1L : 0L;
            count.Value = (long)entry.Values.Length;
            data.Value = Float32.Encode(entry.Values);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Reads the <paramref name="expectedEntries"/> state entries stored under <paramref name="stateResultId"/>.
    /// </summary>
    /// <param name="command">A command of the store's connection (no reader open on it).</param>
    /// <param name="rowId">The result row being read (named in the message when something is wrong).</param>
    /// <param name="describeRow">Names the row: "result 4 (run 2, experiment 'a')".</param>
    /// <param name="stateResultId">The result whose rows hold the state.</param>
    /// <param name="expectedEntries">How many entries the result row says there are.</param>
    public static ModelState ReadState(DbCommand command, long rowId, string describeRow, long stateResultId, int expectedEntries)
    {
        command.Sql("SELECT position, name, shape, is_parameter, value_count, value_data FROM result_state WHERE result_id = @id ORDER BY position");
        command.Add("@id", stateResultId);
        using var reader = command.ExecuteReader();
        var entries = new List<StateEntry>(expectedEntries);
        while (reader.Read())
        {
            var position = reader.Int32(0);
            var name = reader.IsDBNull(1) ? "?" : reader.GetString(1);
            try
            {
                if (position != entries.Count)
                {
                    throw new FormatException($"entry {entries.Count.ToString(CultureInfo.InvariantCulture)} is missing");
                }

                using var shapeDocument = JsonDocument.Parse(reader.GetString(2));
                var shape = shapeDocument.RootElement.EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var count = reader.GetInt64(4);
                var bytes = (byte[])reader.GetValue(5);
                if (count != Elements(shape) || bytes.LongLength != count * sizeof(float))
                {
                    throw new FormatException($"shape [{string.Join(", ", shape)}] needs {Elements(shape) * sizeof(float)} bytes of float32, but {bytes.LongLength} are stored");
                }

                entries.Add(new StateEntry(name, shape, Float32.Decode(bytes), reader.GetInt64(3) != 0));
            }
            catch (Exception exception) when (exception is JsonException or FormatException or InvalidCastException or InvalidOperationException or OverflowException)
            {
                throw new DamagedRowException(rowId, $"{describeRow}: its state entry '{name}' cannot be read ({exception.Message})", exception);
            }
        }

        if (entries.Count != expectedEntries)
        {
            throw new DamagedRowException(rowId, $"{describeRow}: its state has {entries.Count.ToString(CultureInfo.InvariantCulture)} of {expectedEntries.ToString(CultureInfo.InvariantCulture)} entries in result_state (result {stateResultId.ToString(CultureInfo.InvariantCulture)})", new FormatException("state entries missing"));
        }

        return new ModelState(entries);
    }

    private static long Elements(IReadOnlyList<long> shape)
    {
        var elements = 1L;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw new FormatException($"negative dimension {dimension}");
            }

            elements = checked(elements * dimension);
        }

        return elements;
    }

    private static void Ints(Utf8JsonWriter writer, string name, IReadOnlyList<int> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
    }

    private static int[] ReadInts(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}

/// <summary>float32 values as little-endian bytes, whatever the machine's byte order.</summary>
internal static class Float32
{
    public static byte[] Encode(ReadOnlySpan<float> values)
    {
        var bytes = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<byte, uint>(bytes.AsSpan());
            BinaryPrimitives.ReverseEndianness(words, words);
        }

        return bytes;
    }

    public static float[] Decode(byte[] bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new FormatException($"{bytes.Length} bytes is not a whole number of float32 values");
        }

        var values = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<float, uint>(values.AsSpan());
            BinaryPrimitives.ReverseEndianness(words, words);
        }

        return values;
    }
}
