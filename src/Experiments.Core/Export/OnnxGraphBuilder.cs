using Onnx;

namespace Experiments.Export;

/// <summary>
/// Adds nodes, constants and typed inputs and outputs to an ONNX <see cref="GraphProto"/> (OnnxSharp's messages,
/// compiled from ONNX's own onnx.proto): the few shapes of call the exporter needs, each value named once.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string name) => Graph = new GraphProto { Name = name };

    public GraphProto Graph { get; }

    /// <summary>A float32 input or output of shape [batch, <paramref name="features"/>], the batch size left free.</summary>
    public static ValueInfoProto Rows(string name, int features, string docString)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = features });
        return new ValueInfoProto
        {
            Name = name,
            DocString = docString,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public void AddInput(ValueInfoProto input)
    {
        Claim(input.Name);
        Graph.Input.Add(input);
    }

    public void AddOutput(ValueInfoProto output) => Graph.Output.Add(output);

    /// <summary>A float32 constant; returns its name.</summary>
    public string Floats(string name, IReadOnlyList<long> dims, float[] values)
    {
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>An int64 constant of one dimension (a shape for <c>Reshape</c>); returns its name.</summary>
    public string Int64s(string name, IReadOnlyList<long> values)
    {
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Count);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>One node computing <paramref name="output"/> from <paramref name="inputs"/>; returns <paramref name="output"/>.</summary>
    public string Node(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        Claim(output);
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>A name for a value that no other has yet: <paramref name="name"/>, else <paramref name="name"/>_2, _3, ...</summary>
    public string Fresh(string name)
    {
        var candidate = name;
        for (var i = 2; names.Contains(candidate); i++)
        {
            candidate = name + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private void Claim(string name)
    {
        if (!names.Add(name))
        {
            throw new InvalidOperationException($"the ONNX graph already has a value named '{name}'");
        }
    }
}
