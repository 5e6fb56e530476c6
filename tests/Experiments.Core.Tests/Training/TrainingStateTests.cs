using System.Text;
using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.History;
using Experiments.Tests;
using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// Each piece of a training state saved and restored (<see cref="TrainingStateCodec"/>): what goes on from the restored
/// piece is what would have gone on from the original, bit for bit. And every way a state file can be bad is refused
/// with a message that names the file and what is wrong (<see cref="TrainingStateFile"/>).
/// </summary>
public sealed class TrainingStateTests
{
    private static readonly ExperimentSettings Settings = TestExperiment.BlogRecipe with { InputSize = 6, NumClasses = 3 };

    public static TheoryData<OptimizerKind, bool> Optimizers => new()
    {
        { OptimizerKind.Momentum, false },
        { OptimizerKind.Momentum, true },
        { OptimizerKind.Adam, false },
        { OptimizerKind.AdamW, false },
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void A_restored_optimizer_takes_the_same_steps_as_the_original(OptimizerKind kind, bool nesterov)
    {
        var settings = Settings with { Optimizer = kind, Nesterov = nesterov, WeightDecay = 0.01, LearningRate = 0.05 };
        using var original = new Training(settings, seed: 1);
        original.Steps(3, dataSeed: 10);

        using var restored = new Training(settings, seed: 2); // other initial weights, fresh optimizer
        restored.RestoreFrom(original);
        original.Steps(2, dataSeed: 20);
        restored.Steps(2, dataSeed: 20);

        AssertSameBits(original.Model, restored.Model);
    }

    [Fact]
    public void Without_its_optimizer_state_a_restored_training_would_take_other_steps()
    {
        // The control for the test above: the same weights and a fresh Adam do not give the same steps.
        var settings = Settings with { Optimizer = OptimizerKind.Adam, LearningRate = 0.05 };
        using var original = new Training(settings, seed: 1);
        original.Steps(3, dataSeed: 10);
        using var fresh = new Training(settings, seed: 2);
        CopyWeights(original.Model, fresh.Model);

        original.Steps(1, dataSeed: 20);
        fresh.Steps(1, dataSeed: 20);

        Assert.False(Bits(original.Model).SequenceEqual(Bits(fresh.Model)));
    }

    [Fact]
    public void A_restored_shuffle_generator_draws_the_same_permutations()
    {
        using var original = new Training(Settings, seed: 1);
        using (randperm(100, generator: original.Parts.Shuffle))
        using (randperm(100, generator: original.Parts.Shuffle))
        {
        }

        using var restored = new Training(Settings, seed: 5);
        restored.RestoreFrom(original);
        using var expected = randperm(100, generator: original.Parts.Shuffle);
        using var actual = randperm(100, generator: restored.Parts.Shuffle);
        using var fresh = new Training(Settings, seed: 1);
        using var fromStart = randperm(100, generator: fresh.Parts.Shuffle);

        Assert.Equal(expected.data<long>().ToArray(), actual.data<long>().ToArray());
        Assert.NotEqual(expected.data<long>().ToArray(), fromStart.data<long>().ToArray());
    }

    [Fact]
    public void Restored_dropout_layers_draw_the_same_masks()
    {
        using var original = new Training(Settings with { InputSize = 784, NumClasses = 10 }, seed: 1, () => new SmallNet(p: 0.5));
        using var input = ones(8, 784);
        original.Model.train();
        using (original.Model.forward(input))
        {
        }

        using var restored = new Training(Settings with { InputSize = 784, NumClasses = 10 }, seed: 7, () => new SmallNet(p: 0.5));
        restored.RestoreFrom(original);
        restored.Model.train();
        using var expected = original.Model.forward(input);
        using var actual = restored.Model.forward(input);

        Assert.Single(original.Parts.Dropouts);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }

    [Fact]
    public void Early_stoppings_best_epoch_loss_and_weights_are_restored()
    {
        var settings = Settings with { EarlyStoppingPatience = 2, ValidationSplit = 0.2 };
        using var original = new Training(settings, seed: 1);
        original.Parts.Best.Offer(1, 0.9);
        original.Steps(1, dataSeed: 3);
        original.Parts.Best.Offer(2, 0.5);
        var bestWeights = Bits(original.Model);
        original.Steps(1, dataSeed: 4);
        original.Parts.Best.Offer(3, 0.7); // worse: not kept

        using var restored = new Training(settings, seed: 2);
        restored.RestoreFrom(original);
        restored.Parts.Best.Restore();

        Assert.Equal(2, restored.Parts.Best.Epoch);
        Assert.Equal(0.5, restored.Parts.Best.Loss);
        Assert.Equal(bestWeights, Bits(restored.Model));
    }

    [Fact]
    public void The_fused_SGD_steps_momentum_is_restored()
    {
        var settings = Settings with { Optimizer = OptimizerKind.Momentum, Momentum = 0.9, LearningRate = 0.1 };
        using var original = new Training(settings, seed: 1, fused: true);
        original.FusedSteps(3, dataSeed: 10);

        using var restored = new Training(settings, seed: 2, fused: true);
        restored.RestoreFrom(original);
        original.FusedSteps(2, dataSeed: 20);
        restored.FusedSteps(2, dataSeed: 20);

        AssertSameBits(original.Model, restored.Model);
    }

    [Fact]
    public void Only_a_user_modules_state_holds_torchs_global_generator()
    {
        // A declared model draws nothing from the process-wide generator once built, so its state neither saves it
        // nor, restored, sets it under the other trainers of the process.
        using var declared = new Training(Settings, seed: 1);
        using var module = new Training(Settings, seed: 1, globalGenerator: true);
        using var scope = NewDisposeScope();

        var declaredNames = TrainingStateCodec.Capture(declared.Parts).Select(t => t.Name).ToList();
        var moduleTensors = TrainingStateCodec.Capture(module.Parts).ToDictionary(t => t.Name, t => t.Tensor);

        Assert.DoesNotContain(TrainingStateCodec.GlobalName, declaredNames);
        Assert.Contains(TrainingStateCodec.ShuffleName, declaredNames);
        Assert.True(moduleTensors.ContainsKey(TrainingStateCodec.GlobalName));
        moduleTensors.Remove(TrainingStateCodec.GlobalName);
        using var other = new Training(Settings, seed: 2, globalGenerator: true);
        var error = Assert.Throws<InvalidDataException>(() => TrainingStateCodec.Restore(other.Parts, moduleTensors, 0, null));
        Assert.Contains("no tensor 'rng.global'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_said_to_be_missing()
    {
        using var folder = new TemporaryDirectory();

        var error = Assert.Throws<FileNotFoundException>(() => TrainingStateFile.Inspect(folder.Path));

        Assert.Contains(TrainingStateFile.PathIn(folder.Path), error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Damages => new()
    {
        { "truncated", "truncated" },
        { "flipped-data-byte", "damaged" },
        { "not-safetensors", "header length" },
        { "empty", "too short" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_file_is_refused_naming_it_and_the_damage(string damage, string expected)
    {
        using var folder = new TemporaryDirectory();
        var path = WriteValidState(folder.Path);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(path, bytes[..^10]);
                break;
            case "flipped-data-byte":
                bytes[^3] ^= 0x40;
                File.WriteAllBytes(path, bytes);
                break;
            case "not-safetensors":
                File.WriteAllText(path, "this is not a training state at all, just some text");
                break;
            default:
                File.WriteAllBytes(path, []);
                break;
        }

        var error = Assert.Throws<InvalidDataException>(() => TrainingStateFile.Inspect(folder.Path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("experiments-training-state/1", "{}", "its format is 'experiments-training-state/1', but this build reads 'experiments-training-state/2'")]
    [InlineData(null, "{}", "it has no 'format' (not a training state)")]
    [InlineData("experiments-training-state/2", null, "it has no 'state'")]
    [InlineData("experiments-training-state/2", "{not json", "cannot be used: ")]
    [InlineData("experiments-training-state/2", "{\"experiment\":\"x\"}", "cannot be used: ")]
    public void A_file_of_another_format_or_without_a_readable_state_is_refused(string? format, string? state, string expected)
    {
        using var folder = new TemporaryDirectory();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (format is not null)
        {
            metadata["format"] = format;
        }

        if (state is not null)
        {
            metadata["state"] = state;
            metadata["sha256"] = TrainingStateFile.Sha256(state, []); // intact: what is wrong is the content
        }

        using (var stream = File.Create(TrainingStateFile.PathIn(folder.Path)))
        {
            SafeTensorsFile.Write(stream, [], metadata);
        }

        var error = Assert.Throws<InvalidDataException>(() => TrainingStateFile.Inspect(folder.Path));

        Assert.Contains(TrainingStateFile.PathIn(folder.Path), error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_of_another_experiment_dataset_or_length_says_so()
    {
        var key = new RunCacheKey("configuration", "code", "dataset");
        var info = new TrainingStateInfo { Experiment = "cnn", Key = key, Epoch = 2, TotalEpochs = 5, Optimizer = "adamw", Epochs = [] };
        var experiment = new KeyedExperiment(TestExperiment.BlogRecipe, () => nn.Linear(784, 10), "cnn");

        Assert.Null(info.ProblemFor(experiment, key));
        Assert.Contains("not of 'mlp'", info.ProblemFor(new KeyedExperiment(TestExperiment.BlogRecipe, () => nn.Linear(784, 10), "mlp"), key), StringComparison.Ordinal);
        Assert.Contains("another dataset", info.ProblemFor(experiment, key with { Dataset = "other" }), StringComparison.Ordinal);
        Assert.Contains("another configuration, code", info.ProblemFor(experiment, key with { Configuration = "x", Code = "y" }), StringComparison.Ordinal);
        Assert.Contains("no configuration hash", info.ProblemFor(experiment, null), StringComparison.Ordinal);
        Assert.Contains("records no configuration", (info with { Key = null }).ProblemFor(experiment, key), StringComparison.Ordinal);
        Assert.Contains("epoch 7 of 5", (info with { Epoch = 7 }).ProblemFor(experiment, key), StringComparison.Ordinal);
        Assert.Contains("L-BFGS", (info with { NotResumable = "L-BFGS keeps ..." }).ProblemFor(experiment, key), StringComparison.Ordinal);
    }

    [Fact]
    public void Tensors_that_do_not_fit_the_training_are_named()
    {
        using var original = new Training(Settings with { Optimizer = OptimizerKind.Adam }, seed: 1);
        original.Steps(1, dataSeed: 1);
        using var scope = NewDisposeScope();
        var tensors = TrainingStateCodec.Capture(original.Parts).ToDictionary(t => t.Name, t => t.Tensor);

        using var other = new Training(Settings with { Optimizer = OptimizerKind.Adam }, seed: 1);
        var missing = new Dictionary<string, Tensor>(tensors);
        missing.Remove("model.weight");
        Assert.Contains("no tensor 'model.weight'", Assert.Throws<InvalidDataException>(() => TrainingStateCodec.Restore(other.Parts, missing, 0, null)).Message, StringComparison.Ordinal);

        var reshaped = new Dictionary<string, Tensor>(tensors) { ["model.bias"] = zeros(4) };
        Assert.Contains("the model entry 'bias' is Float32 [4]", Assert.Throws<InvalidDataException>(() => TrainingStateCodec.Restore(other.Parts, reshaped, 0, null)).Message, StringComparison.Ordinal);

        var extra = new Dictionary<string, Tensor>(tensors) { ["model.fc9.weight"] = zeros(1) };
        Assert.Contains("'fc9.weight', which the model does not have", Assert.Throws<InvalidDataException>(() => TrainingStateCodec.Restore(other.Parts, extra, 0, null)).Message, StringComparison.Ordinal);

        using var sgd = new Training(Settings with { Optimizer = OptimizerKind.Momentum }, seed: 1);
        Assert.Contains("does not fit this SGD", Assert.Throws<InvalidDataException>(() => TrainingStateCodec.Restore(sgd.Parts, tensors, 0, null)).Message, StringComparison.Ordinal);
    }

    /// <summary>Writes the state of a few steps of a small training into <paramref name="folder"/>; returns the file.</summary>
    private static string WriteValidState(string folder)
    {
        using var training = new Training(Settings with { Optimizer = OptimizerKind.Adam }, seed: 1);
        training.Steps(2, dataSeed: 5);
        using var scope = NewDisposeScope();
        var info = new TrainingStateInfo
        {
            Experiment = "test",
            Key = new RunCacheKey("c", "k", "d"),
            Epoch = 1,
            TotalEpochs = 5,
            Optimizer = "adam",
            Epochs = [new EpochMetrics(1, 0.5, 0.1)],
        };
        TrainingStateFile.Write(folder, info, TrainingStateCodec.Capture(training.Parts));
        Assert.Equal(1, TrainingStateFile.Inspect(folder).Epoch); // valid before it is damaged
        return TrainingStateFile.PathIn(folder);
    }

    private static void AssertSameBits(nn.Module expected, nn.Module actual) => Assert.Equal(Bits(expected), Bits(actual));

    private static int[] Bits(nn.Module model) =>
        model.state_dict().Values.Where(t => t.dtype == ScalarType.Float32).SelectMany(t => t.detach().contiguous().data<float>().ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray();

    private static void CopyWeights(nn.Module from, nn.Module to)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in to.state_dict())
        {
            tensor.copy_(from.state_dict()[name]);
        }
    }

    /// <summary>The parts of a training, made as the trainer makes them, and steps on random batches.</summary>
    private sealed class Training : IDisposable
    {
        private readonly ExperimentSettings settings;
        private readonly AffineGradient? affine;

        public Training(ExperimentSettings settings, long seed, Func<nn.Module<Tensor, Tensor>>? create = null, bool fused = false, bool globalGenerator = false)
        {
            this.settings = settings;
            nn.Module<Tensor, Tensor> model;
            lock (Trainer.SeedLock)
            {
                random.manual_seed(seed);
                model = create?.Invoke() ?? nn.Linear(settings.InputSize, settings.NumClasses);
            }

            Models.Dropout.SeedAll(model, seed);
            var parameters = model.parameters().ToList();
            affine = fused ? AffineGradient.TryCreate(model, settings.InputSize, settings.NumClasses) : null;
            Assert.True(!fused || affine is not null, "the model takes no fast path");
            Parts = new TrainingParts(
                model,
                OptimizerFactory.Create(parameters, settings),
                new Generator((ulong)seed),
                Models.Dropout.AllIn(model),
                affine is null ? null : new AffineSgd(affine, settings.Momentum, settings.WeightDecay, settings.Nesterov),
                new BestWeights(parameters, settings.EarlyStoppingPatience > 0),
                globalGenerator);
        }

        public TrainingParts Parts { get; }

        public nn.Module<Tensor, Tensor> Model => Parts.Model;

        /// <summary>Optimizer steps on batches drawn from <paramref name="dataSeed"/>.</summary>
        public void Steps(int count, int dataSeed)
        {
            using var data = new Generator((ulong)dataSeed);
            for (var i = 0; i < count; i++)
            {
                using var scope = NewDisposeScope();
                var x = randn(5, settings.InputSize, generator: data);
                var y = randint(settings.NumClasses, [5], generator: data);
                Parts.Optimizer.zero_grad();
                nn.functional.cross_entropy(Model.forward(x), y).backward();
                Parts.Optimizer.step();
            }
        }

        /// <summary>Fused SGD steps on batches drawn from <paramref name="dataSeed"/>.</summary>
        public void FusedSteps(int count, int dataSeed)
        {
            using var data = new Generator((ulong)dataSeed);
            using var noGrad = no_grad();
            for (var i = 0; i < count; i++)
            {
                using var scope = NewDisposeScope();
                var x = randn(5, settings.InputSize, generator: data);
                var y = randint(settings.NumClasses, [1, 5], generator: data);
                Parts.FusedSgd!.Step(x, y, 1f, settings.LearningRate, zeros(1, 5, dtype: ScalarType.Float64));
            }
        }

        /// <summary>Saves <paramref name="other"/>'s state to a file and restores it into this training.</summary>
        public void RestoreFrom(Training other)
        {
            using var folder = new TemporaryDirectory();
            using (var scope = NewDisposeScope())
            {
                var info = new TrainingStateInfo { Experiment = "test", Key = null, Epoch = 1, TotalEpochs = 1, Optimizer = "x", Epochs = [new EpochMetrics(1, 1, 1)], BestEpoch = other.Parts.Best.Epoch, BestLoss = double.IsFinite(other.Parts.Best.Loss) ? other.Parts.Best.Loss : null };
                TrainingStateFile.Write(folder.Path, info, TrainingStateCodec.Capture(other.Parts));
            }

            var (read, tensors) = TrainingStateFile.Read(folder.Path);
            try
            {
                TrainingStateCodec.Restore(Parts, tensors, read.BestEpoch, read.BestLoss);
            }
            finally
            {
                foreach (var tensor in tensors.Values)
                {
                    tensor.Dispose();
                }
            }
        }

        public void Dispose()
        {
            Parts.FusedSgd?.Dispose();
            affine?.Dispose();
            Parts.Best.Dispose();
            Parts.Shuffle.Dispose();
            Parts.Optimizer.Dispose();
            Model.Dispose();
        }
    }
}
