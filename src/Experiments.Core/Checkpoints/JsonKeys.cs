using System.Text.Json;

namespace Experiments.Checkpoints;

/// <summary>Reading <c>config.json</c>: errors that name the key (System.Text.Json's <c>GetProperty</c> says only "the given key was not present").</summary>
internal static class JsonKeys
{
    /// <summary>The value of <paramref name="name"/>; a <see cref="KeyNotFoundException"/> naming it when it is missing.</summary>
    public static JsonElement Required(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new KeyNotFoundException($"'{name}' is missing");

    /// <summary>Reads the part under <paramref name="name"/>; whatever is wrong inside it is a <see cref="FormatException"/> that starts with the key.</summary>
    public static T Section<T>(JsonElement element, string name, Func<JsonElement, T> read)
    {
        var value = Required(element, name);
        try
        {
            return read(value);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException or OverflowException)
        {
            throw new FormatException($"'{name}': {exception.Message}", exception);
        }
    }
}
