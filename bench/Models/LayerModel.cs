using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Bench.Models;

/// <summary>
/// A model from a list of layers, written the way the generator will emit one (fields <c>conv1</c>, <c>fc2</c>, ...;
/// activations as functional calls; dropout as <see cref="Experiments.Models.Dropout"/>, batch norm as modules), so
/// that the bench and the model search train what a YAML <c>layers</c> list will express. Flat inputs [batch, 784]
/// are reshaped to [batch, 1, 28, 28] before the first convolution.
/// </summary>
/// <remarks>
/// The layer words (one string, space-separated): <c>linear(F)</c>, <c>conv2d(C,K[,S[,P]])</c>,
/// <c>maxpool2d(K[,S[,P]])</c>, <c>avgpool2d(K[,S[,P]])</c>, <c>flatten</c>, <c>relu</c>, <c>gelu</c>,
/// <c>tanh</c>, <c>sigmoid</c>, <c>dropout(p)</c>, <c>batchnorm1d</c>, <c>batchnorm2d</c>.
/// </remarks>
internal sealed class LayerModel : nn.Module<Tensor, Tensor>
{
    private readonly List<Func<Tensor, Tensor>> steps = [];

    public LayerModel(string layers, int side = 28, int channels = 1)
        : base(nameof(LayerModel))
    {
        Layers = layers;
        var shape = new List<long> { (long)channels * side * side }; // one example, flat
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        string Name(string prefix)
        {
            counts[prefix] = counts.GetValueOrDefault(prefix) + 1;
            return prefix + counts[prefix].ToString(CultureInfo.InvariantCulture);
        }

        foreach (var word in layers.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var open = word.IndexOf('(', StringComparison.Ordinal);
            var kind = open < 0 ? word : word[..open];
            var args = open < 0 ? [] : word[(open + 1)..^1].Split(',').Select(a => double.Parse(a, CultureInfo.InvariantCulture)).ToArray();
            int Arg(int i, int fallback) => args.Length > i ? (int)args[i] : fallback;
            switch (kind)
            {
                case "conv2d":
                    {
                        if (shape.Count == 1)
                        {
                            steps.Add(x => x.view(-1, channels, side, side));
                            shape = [channels, side, side];
                        }

                        int outChannels = Arg(0, 0), kernel = Arg(1, 3), stride = Arg(2, 1), padding = Arg(3, 0);
                        var conv = nn.Conv2d(shape[0], outChannels, kernel, stride: stride, padding: padding);
                        register_module(Name("conv"), conv);
                        steps.Add(conv.forward);
                        shape = [outChannels, ((shape[1] + (2 * padding) - kernel) / stride) + 1, ((shape[2] + (2 * padding) - kernel) / stride) + 1];
                        break;
                    }

                case "maxpool2d" or "avgpool2d":
                    {
                        int kernel = Arg(0, 2), stride = Arg(1, kernel), padding = Arg(2, 0);
                        steps.Add(kind == "maxpool2d"
                            ? x => nn.functional.max_pool2d(x, kernel, stride, padding)
                            : x => nn.functional.avg_pool2d(x, kernel, stride, padding));
                        shape = [shape[0], ((shape[1] + (2 * padding) - kernel) / stride) + 1, ((shape[2] + (2 * padding) - kernel) / stride) + 1];
                        break;
                    }

                case "flatten":
                    steps.Add(x => x.flatten(1));
                    shape = [shape.Aggregate(1L, (a, b) => a * b)];
                    break;
                case "linear":
                    {
                        if (shape.Count != 1)
                        {
                            steps.Add(x => x.flatten(1));
                            shape = [shape.Aggregate(1L, (a, b) => a * b)];
                        }

                        var fc = nn.Linear(shape[0], Arg(0, 10));
                        register_module(Name("fc"), fc);
                        steps.Add(fc.forward);
                        shape = [Arg(0, 10)];
                        break;
                    }

                case "relu":
                    steps.Add(x => nn.functional.relu(x));
                    break;
                case "gelu":
                    steps.Add(x => nn.functional.gelu(x));
                    break;
                case "tanh":
                    steps.Add(x => x.tanh());
                    break;
                case "sigmoid":
                    steps.Add(x => x.sigmoid());
                    break;
                case "dropout":
                    {
                        var dropout = new Experiments.Models.Dropout(args[0]);
                        register_module(Name("dropout"), dropout);
                        steps.Add(dropout.forward);
                        break;
                    }

                case "batchnorm1d":
                    {
                        var bn = nn.BatchNorm1d(shape[0]);
                        register_module(Name("bn"), bn);
                        steps.Add(bn.forward);
                        break;
                    }

                case "batchnorm2d":
                    {
                        var bn = nn.BatchNorm2d(shape[0]);
                        register_module(Name("bn"), bn);
                        steps.Add(bn.forward);
                        break;
                    }

                default:
                    throw new ArgumentException($"unknown layer '{word}'");
            }
        }
    }

    /// <summary>The layer list this model was built from.</summary>
    public string Layers { get; }

    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var step in steps)
        {
            x = step(x);
        }

        return x;
    }
}

/// <summary>An experiment whose model is a <see cref="LayerModel"/> (or any module a factory builds), trained by the framework.</summary>
internal sealed class ModelExperiment(string name, ExperimentSettings settings, Func<nn.Module<Tensor, Tensor>> createModel, string dataset = "mnist") : IExperiment
{
    public string Name => name;

    public string Description => name;

    public string SourceFile => "(bench)";

    public string Dataset => dataset;

    public ExperimentSettings Settings => settings;

    public Experiments.Models.ModelSummary Architecture => new(Experiments.Models.ModelKind.Module, name, [1, 28, 28], [], -1);

    public nn.Module<Tensor, Tensor> CreateModel() => createModel();

    public ExperimentResult Run(ExperimentContext context) => Experiments.Training.Trainer.Run(this, context);
}
