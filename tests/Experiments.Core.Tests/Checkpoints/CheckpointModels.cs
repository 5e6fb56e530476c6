using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BatchNorm2d = Experiments.Models.BatchNorm2d;

namespace Experiments.Core.Tests.Checkpoints;

/// <summary>
/// Modules as the generator writes them (fields named as the YAML's layers, registered in declaration order), with
/// the <c>state_dict()</c> that PyTorch's equivalent module has, written out by hand from PyTorch's rules: module by
/// module in registration order, each module's parameters (weight, bias) before its buffers (running_mean,
/// running_var, num_batches_tracked).
/// </summary>
internal static class CheckpointModels
{
    public static TheoryData<string> Kinds => ["linear", "mlp", "cnn"];

    /// <summary>A fresh model of <paramref name="kind"/> whose weights come from <paramref name="seed"/>; the CNN's batch norm has seen two batches.</summary>
    public static nn.Module<Tensor, Tensor> Create(string kind, int seed = 1)
    {
        random.manual_seed(seed);
        nn.Module<Tensor, Tensor> model = kind switch
        {
            "linear" => new LinearModel(784, 10),
            "mlp" => new MlpModel(),
            "cnn" => new CnnModel(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        if (kind == "cnn")
        {
            // Batch norm's running statistics and its counter move only in training mode: give them values other than
            // their initial ones, so that a checkpoint that lost them shows.
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.train();
            model.forward(rand(16, 784));
            model.forward(rand(16, 784));
        }

        model.eval();
        return model;
    }

    /// <summary>PyTorch's <c>state_dict()</c> of the equivalent module: names in order, safetensors dtypes and shapes.</summary>
    public static IReadOnlyList<(string Name, string DType, long[] Shape)> PyTorchState(string kind) => kind switch
    {
        "linear" => [("linear.weight", "F32", [10, 784]), ("linear.bias", "F32", [10])],
        "mlp" => [("fc1.weight", "F32", [32, 784]), ("fc1.bias", "F32", [32]), ("fc2.weight", "F32", [16, 32]), ("fc2.bias", "F32", [16]), ("fc3.weight", "F32", [10, 16]), ("fc3.bias", "F32", [10])],
        "cnn" =>
        [
            ("conv1.weight", "F32", [6, 1, 5, 5]), ("conv1.bias", "F32", [6]),
            ("bn1.weight", "F32", [6]), ("bn1.bias", "F32", [6]), ("bn1.running_mean", "F32", [6]), ("bn1.running_var", "F32", [6]), ("bn1.num_batches_tracked", "I64", []),
            ("conv2.weight", "F32", [16, 6, 5, 5]), ("conv2.bias", "F32", [16]),
            ("bn2.weight", "F32", [16]), ("bn2.bias", "F32", [16]), ("bn2.running_mean", "F32", [16]), ("bn2.running_var", "F32", [16]), ("bn2.num_batches_tracked", "I64", []),
            ("fc1.weight", "F32", [120, 400]), ("fc1.bias", "F32", [120]),
            ("fc2.weight", "F32", [84, 120]), ("fc2.bias", "F32", [84]),
            ("fc3.weight", "F32", [10, 84]), ("fc3.bias", "F32", [10]),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>A config as the trainer writes it, for a model trained on MNIST.</summary>
    public static ExperimentConfig Config(string name = "test") => new()
    {
        Experiment = name,
        Dataset = Experiments.Generated.DatasetCatalog.Mnist,
        Hyperparameters = TestSettings.ToNamedValues(),
        Architecture = ModelSummary.Linear(784, 10),
        Inputs = new InputTransform([1, 28, 28], 255, Deskew: false, Mean: null, Std: null),
    };

    private static readonly ExperimentSettings TestSettings = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 100, LearningRate = 0.01 };

    /// <summary>One linear layer, as for <c>seed-recipe</c>.</summary>
    public sealed class LinearModel : nn.Module<Tensor, Tensor>
    {
        private readonly Linear linear;

        public LinearModel(int inputs, int classes)
            : base(nameof(LinearModel))
        {
            linear = nn.Linear(inputs, classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => linear.forward(input);
    }

    /// <summary>784-32-16-10 with ReLU and dropout, as for an <c>mlp</c> model.</summary>
    public sealed class MlpModel : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc1;
        private readonly TorchSharp.Modules.Dropout dropout1;
        private readonly Linear fc2;
        private readonly TorchSharp.Modules.Dropout dropout2;
        private readonly Linear fc3;

        public MlpModel()
            : base(nameof(MlpModel))
        {
            fc1 = nn.Linear(784, 32);
            dropout1 = nn.Dropout(0.2);
            fc2 = nn.Linear(32, 16);
            dropout2 = nn.Dropout(0.2);
            fc3 = nn.Linear(16, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = dropout1.forward(nn.functional.relu(fc1.forward(input)));
            x = dropout2.forward(nn.functional.relu(fc2.forward(x)));
            return fc3.forward(x);
        }
    }

    /// <summary>
    /// The shipped <c>cnn</c>: LeNet-5 with batch norm (the framework's, as generated code has; TorchSharp's with
    /// <paramref name="torchSharpsBatchNorm"/>, the reference the framework's must equal bit for bit).
    /// </summary>
    public sealed class CnnModel : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly nn.Module<Tensor, Tensor> bn1;
        private readonly Conv2d conv2;
        private readonly nn.Module<Tensor, Tensor> bn2;
        private readonly Linear fc1;
        private readonly Linear fc2;
        private readonly Linear fc3;

        public CnnModel(bool torchSharpsBatchNorm = false)
            : base(nameof(CnnModel))
        {
            conv1 = nn.Conv2d(1, 6, 5, padding: 2);
            bn1 = torchSharpsBatchNorm ? nn.BatchNorm2d(6) : new BatchNorm2d(6);
            conv2 = nn.Conv2d(6, 16, 5);
            bn2 = torchSharpsBatchNorm ? nn.BatchNorm2d(16) : new BatchNorm2d(16);
            fc1 = nn.Linear(400, 120);
            fc2 = nn.Linear(120, 84);
            fc3 = nn.Linear(84, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = input.reshape(-1, 1, 28, 28);
            x = nn.functional.max_pool2d(nn.functional.relu(bn1.forward(conv1.forward(x))), 2, stride: 2);
            x = nn.functional.max_pool2d(nn.functional.relu(bn2.forward(conv2.forward(x))), 2, stride: 2);
            x = nn.functional.relu(fc1.forward(x.flatten(1)));
            x = nn.functional.relu(fc2.forward(x));
            return fc3.forward(x);
        }
    }
}
