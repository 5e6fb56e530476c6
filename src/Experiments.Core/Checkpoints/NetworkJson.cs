using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Experiments.Models;

namespace Experiments.Checkpoints;

/// <summary>
/// A <see cref="Network"/> as the <c>network</c> of a checkpoint's <c>config.json</c>, by System.Text.Json: each layer
/// an object whose <c>type</c> names its kind (<c>conv2d</c>, <c>batchnorm</c>, ...) followed by its properties in
/// camel case, e.g. <c>{"type": "conv2d", "name": "conv1", "inChannels": 1, "outChannels": 6, "kernel": 5, ...}</c>.
/// </summary>
/// <remarks>
/// The layer kinds are registered here rather than by attributes on the records, so the model's description knows
/// nothing of JSON. Reading is strict: every constructor parameter must be present, nothing may be null, and an unknown
/// <c>type</c> is an error, so a damaged file is refused with the reason rather than exported wrongly.
/// </remarks>
internal static class NetworkJson
{
    private static readonly (Type Type, string Name)[] LayerKinds =
    [
        (typeof(ReshapeLayer), "reshape"),
        (typeof(LinearLayer), "linear"),
        (typeof(Conv2dLayer), "conv2d"),
        (typeof(Pool2dLayer), "pool2d"),
        (typeof(BatchNormLayer), "batchnorm"),
        (typeof(ActivationLayer), "activation"),
        (typeof(DropoutLayer), "dropout"),
        (typeof(FlattenLayer), "flatten"),
    ];

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        AllowOutOfOrderMetadataProperties = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { RegisterLayerKinds } },
    };

    public static void Write(Utf8JsonWriter writer, Network network) => JsonSerializer.Serialize(writer, network, Options);

    /// <summary>Reads a network; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static Network Read(JsonElement element)
    {
        try
        {
            return element.Deserialize<Network>(Options) ?? throw new FormatException("'network' is null");
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            // NotSupportedException: a layer without a known "type" (the abstract base cannot be made).
            throw new FormatException($"'network' is not a network this build knows: {exception.Message} (the layer types are {string.Join(", ", LayerKinds.Select(k => k.Name))})", exception);
        }
    }

    private static void RegisterLayerKinds(JsonTypeInfo info)
    {
        if (info.Type != typeof(NetworkLayer))
        {
            return;
        }

        info.PolymorphismOptions = new JsonPolymorphismOptions
        {
            TypeDiscriminatorPropertyName = "type",
            UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization,
        };
        foreach (var (type, name) in LayerKinds)
        {
            info.PolymorphismOptions.DerivedTypes.Add(new JsonDerivedType(type, name));
        }
    }
}
