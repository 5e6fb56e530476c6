using Experiments.Models;
using Experiments.Running;
using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>A small model with dropout and batch norm, shaped as the generator will emit one (fields, functional activations).</summary>
internal sealed class SmallNet : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc1;
    private readonly BatchNorm1d bn1;
    private readonly Dropout dropout1;
    private readonly TorchSharp.Modules.Linear fc2;

    public SmallNet(double p = 0.5, int hidden = 32)
        : base(nameof(SmallNet))
    {
        fc1 = nn.Linear(784, hidden);
        bn1 = new BatchNorm1d(hidden);
        dropout1 = new Dropout(p);
        fc2 = nn.Linear(hidden, 10);
        RegisterComponents();
    }

    /// <summary>Every forward call: (training mode, gradients enabled, batch size).</summary>
    public List<(bool Training, bool Grad, long Batch)> Calls { get; } = [];

    /// <summary>Sleep per forward call in training mode, to make an epoch last (progress tests).</summary>
    public int SleepMilliseconds { get; init; }

    public override Tensor forward(Tensor input)
    {
        Calls.Add((training, is_grad_enabled(), input.shape[0]));
        if (training && SleepMilliseconds > 0)
        {
            Thread.Sleep(SleepMilliseconds);
        }

        return fc2.forward(dropout1.forward(nn.functional.relu(bn1.forward(fc1.forward(input)))));
    }
}

/// <summary>A tiny CNN (flat inputs reshaped, as a generated CNN's forward does).</summary>
internal sealed class TinyCnn : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly TorchSharp.Modules.Linear fc1;

    public TinyCnn()
        : base(nameof(TinyCnn))
    {
        conv1 = nn.Conv2d(1, 4, 3, stride: 2, padding: 1);
        bn1 = new BatchNorm2d(4);
        fc1 = nn.Linear(4 * 14 * 14, 10);
        RegisterComponents();
    }

    // call, not forward: TorchSharp runs forward hooks (which ModelSummary.Measure uses for shapes) only through call.
    public override Tensor forward(Tensor input) =>
        fc1.call(nn.functional.relu(bn1.call(conv1.call(input.view(-1, 1, 28, 28)))).flatten(1));
}

internal sealed class ModuleExperiment(ExperimentSettings settings, Func<nn.Module<Tensor, Tensor>> create, ModelSummary? architecture = null) : IExperiment
{
    public nn.Module<Tensor, Tensor>? LastModel { get; private set; }

    public string Name => "module-test";

    public string Description => "test";

    public string SourceFile => "test.yaml";

    public string Dataset => "mnist";

    public ExperimentSettings Settings => settings;

    public ModelSummary Architecture => architecture ?? new ModelSummary(ModelKind.Module, "SmallNet", [1, 28, 28], [], -1);

    public nn.Module<Tensor, Tensor> CreateModel() => LastModel = create();

    public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
}

public sealed class ModelTrainingTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    private static ExperimentSettings Settings(int epochs = 2, long seed = 1) => TestExperiment.BlogRecipe with
    {
        Epochs = epochs,
        Optimizer = OptimizerKind.Adam,
        LearningRate = 1e-3,
        Seed = seed,
    };

    private ExperimentResult Train(IExperiment experiment, IProgress<EpochReport>? progress = null, IProgress<BatchReport>? batches = null) =>
        experiment.Run(new ExperimentContext(mnist.Subset) { Progress = progress, BatchProgress = batches });

    private static float[] Values(ExperimentResult result) => result.State!.Entries.SelectMany(e => e.Values).ToArray();

    [Fact]
    public void OneCycle_follows_PyTorchs_formula_and_cycles_the_momentum()
    {
        // 2 epochs of 10 steps, max_lr 0.1: PyTorch's OneCycleLR starts at 0.1 / 25, peaks at step 0.3 * 20 - 1 = 5,
        // and ends at step 19 at 0.1 / 25 / 1e4; in between the cosine interpolation of each phase.
        var settings = TestExperiment.BlogRecipe with { LearningRate = 0.1, Epochs = 2, LrSchedule = LearningRateSchedule.OneCycle, Optimizer = OptimizerKind.Adam };
        using var model = nn.Linear(2, 2);
        using var optimizer = optim.Adam(model.parameters(), settings.LearningRate);
        var scheduler = new LearningRateScheduler(settings, optimizer, stepsPerEpoch: 10);
        static double Anneal(double start, double end, double pct) => end + ((start - end) / 2 * (Math.Cos(Math.PI * pct) + 1));
        var expected = Enumerable.Range(0, 20).Select(s => s <= 5 ? Anneal(0.004, 0.1, s / 5.0) : Anneal(0.1, 4e-7, (s - 5) / 14.0)).ToArray();

        var applied = new List<double>();
        var betas = new List<double>();
        for (var epoch = 1; epoch <= 2; epoch++)
        {
            for (var step = 0; step < 10; step++)
            {
                scheduler.BeforeStep(epoch, step);
                applied.Add(optimizer.ParamGroups.Single().LearningRate);
                betas.Add(((torch.optim.IBetas)optimizer.ParamGroups.Single()).Betas.Item1); // what the step reads
                Assert.Equal(expected[((epoch - 1) * 10) + step], scheduler.RateAt(epoch, step), 12);
            }
        }

        Assert.Equal(0.004, applied[0], 12);
        Assert.Equal(0.1, applied[5], 12);
        Assert.Equal(4e-7, applied[19], 15);
        Assert.All(applied.Zip(expected), p => Assert.Equal(p.Second, p.First, 10));
        Assert.Equal(0.95, betas[0], 12); // beta1 cycles inversely: max_momentum at the start, base_momentum at the peak
        Assert.Equal(0.85, betas[5], 12);
        Assert.Equal(0.95, betas[19], 12);
    }

    [Fact]
    public void OneCycle_cycles_SGDs_momentum_in_the_parameter_group_as_PyTorch_does()
    {
        var settings = TestExperiment.BlogRecipe with { LearningRate = 0.1, Epochs = 1, LrSchedule = LearningRateSchedule.OneCycle, Optimizer = OptimizerKind.Momentum };
        using var model = nn.Linear(2, 2);
        using var optimizer = OptimizerFactory.Create(model.parameters().ToList(), settings);
        var scheduler = new LearningRateScheduler(settings, optimizer, stepsPerEpoch: 100);
        var momenta = new List<double>();
        for (var step = 0; step < 100; step++)
        {
            scheduler.BeforeStep(1, step);
            momenta.Add(((torch.optim.IMomentum)optimizer.ParamGroups.Single()).Momentum);
        }

        Assert.Equal(0.95, momenta[0], 12);
        Assert.Equal(0.85, momenta[29], 12); // the peak: 0.3 * 100 - 1
        Assert.Equal(0.95, momenta[99], 12);
        Assert.Equal(0.9, momenta[Enumerable.Range(0, 30).First(i => momenta[i] <= 0.9)], 2);
    }

    [Fact]
    public void OneCycle_on_a_linear_model_trains_through_the_optimizer_and_learns()
    {
        var settings = TestExperiment.BlogRecipe with { Epochs = 2, LearningRate = 0.1, Optimizer = OptimizerKind.Momentum, LrSchedule = LearningRateSchedule.OneCycle };
        var result = new TestExperiment(settings).Run(new ExperimentContext(mnist.Subset));

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.InRange(result.Test!.Accuracy, 80, 100);
    }

    [Fact]
    public void AdamW_decays_the_weights_decoupled_from_the_gradient()
    {
        // With a zero gradient Adam's moments stay zero, so AdamW's step is the decay alone: p ← p (1 - lr λ).
        // Adam's coupled L2 would instead feed λ p into the moments and move p by about lr · sign(p).
        using var parameter = new TorchSharp.Modules.Parameter(tensor(new float[] { 2f, -4f }));
        var settings = TestExperiment.BlogRecipe with { Optimizer = OptimizerKind.AdamW, LearningRate = 0.1, WeightDecay = 0.5 };
        using var optimizer = OptimizerFactory.Create([parameter], settings);
        parameter.grad = zeros(2);
        optimizer.step();

        Assert.Equal([2f * 0.95f, -4f * 0.95f], parameter.detach().data<float>().ToArray());
    }

    [Fact]
    public void Training_runs_in_train_mode_with_gradients_and_evaluation_in_eval_mode_without()
    {
        SmallNet? net = null;
        var experiment = new ModuleExperiment(Settings() with { ValidationSplit = 0.2 }, () => net = new SmallNet());
        var result = Train(experiment);

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        var calls = net!.Calls;
        // 2,400 training images in batches of 100 per epoch; validation (600) and test (1,000) in one chunk each.
        Assert.Equal(48, calls.Count(c => c.Training));
        Assert.All(calls.Where(c => c.Training), c => Assert.True(c.Grad));
        Assert.All(calls.Where(c => !c.Training && c.Batch is 600 or 1000), c => Assert.False(c.Grad));
        Assert.Contains(calls, c => !c.Training && c.Batch == 600);
        Assert.Contains(calls, c => !c.Training && c.Batch == 1000);
        // Validation after epoch 1 is followed by training again in train mode.
        var firstValidation = calls.FindIndex(c => c.Batch == 600);
        Assert.True(calls[firstValidation + 1].Training);
    }

    [Fact]
    public void Evaluation_turns_dropout_off_and_uses_batch_norms_running_statistics()
    {
        using var net = new SmallNet(p: 0.5);
        net.train();
        using var warm = rand(200, 784);
        using (no_grad())
        {
            net.forward(warm); // moves the running statistics off their initial 0 and 1
        }

        var before = ModelState.Capture(net);
        using var inputs = mnist.Subset.Test.Inputs.squeeze(1).reshape(1000, 784).to_type(ScalarType.Float32).div(255f);
        var first = Evaluator.Evaluate(net, inputs, mnist.Subset.Test.Labels, 10);
        var second = Evaluator.Evaluate(net, inputs, mnist.Subset.Test.Labels, 10);
        var after = ModelState.Capture(net);

        Assert.Equal(first.Loss, second.Loss);
        Assert.Equal(first.ConfusionMatrix, second.ConfusionMatrix);
        Assert.Equal(before.Entries.Select(e => e.Values), after.Entries.Select(e => e.Values)); // running stats untouched
        Assert.True(net.training); // the mode is restored
        Assert.Contains(before.Entries, e => e.Name == "bn1.running_mean" && e.Values.Any(v => v != 0));

        // In training mode the same inputs give other outputs each time (dropout), which is what eval mode avoids.
        using var x = inputs.narrow(0, 0, 10);
        using (no_grad())
        {
            Assert.False(net.forward(x).allclose(net.forward(x), rtol: 0, atol: 0));
        }
    }

    [Fact]
    public void Dropout_scales_kept_elements_and_is_the_identity_in_eval_mode()
    {
        using var dropout = new Dropout(0.25);
        dropout.Seed(7);
        using var ones = torch.ones(100_000);
        using var output = dropout.forward(ones);
        var values = output.data<float>().ToArray();
        Assert.All(values, v => Assert.True(v == 0 || Math.Abs(v - (1 / 0.75f)) < 1e-6));
        Assert.InRange(values.Count(v => v == 0) / 100_000.0, 0.24, 0.26);
        dropout.eval();
        Assert.True(dropout.forward(ones).allclose(ones, rtol: 0, atol: 0));

        using var again = new Dropout(0.25);
        again.Seed(7);
        Assert.True(again.forward(ones).allclose(output, rtol: 0, atol: 0)); // the masks depend only on the seed
    }

    /// <summary>
    /// Dropout then one linear layer is affine in evaluation (the fast path's probe would take it), but it must train
    /// through autograd so that its dropout runs: with the same seed it ends with other weights than the linear
    /// layer alone, and those of autograd with the same dropout.
    /// </summary>
    [Theory]
    [InlineData(ModelKind.Layers)]
    [InlineData(ModelKind.Linear)]
    public void A_linear_layer_behind_dropout_trains_with_its_dropout(ModelKind declared)
    {
        var settings = TestExperiment.BlogRecipe with { Epochs = 1, Seed = 3 };
        var architecture = new ModelSummary(declared, "dropout-linear", [1, 28, 28], [new LayerSummary("fc1", "linear 10", [10], 7850)], 7850);
        var withDropout = Train(new ModuleExperiment(settings, () => nn.Sequential(("dropout1", new Dropout(0.5)), ("fc1", nn.Linear(784, 10))), architecture));
        var plain = Train(new ModuleExperiment(settings, () => nn.Sequential(("fc1", nn.Linear(784, 10))), architecture));

        Assert.Equal(ExperimentStatus.Completed, withDropout.Status);
        Assert.NotEqual(Values(plain), Values(withDropout));
    }

    [Fact]
    public void A_run_depends_only_on_its_seed_not_on_others_drawing_from_the_global_generator()
    {
        var settings = Settings(epochs: 3, seed: 5);
        var first = Train(new ModuleExperiment(settings, () => new SmallNet()));
        // Another experiment (or thread) drawing from torch's global generator between the epochs: dropout must not care.
        var noisy = new ActionProgress<EpochReport>(_ => rand(1000).Dispose());
        var second = Train(new ModuleExperiment(settings, () => new SmallNet()), progress: noisy);
        var other = Train(new ModuleExperiment(settings with { Seed = 6 }, () => new SmallNet()));

        Assert.Equal(Values(first), Values(second));
        Assert.NotEqual(Values(first), Values(other));
    }

    [Fact]
    public void The_trainer_seeds_every_dropout_module_from_the_experiments_seed()
    {
        SmallNet? net = null;
        var seeded = new List<bool>();
        // Looked at during training: the trainer disposes the model (and the dropout's generator) when it returns.
        var look = new ActionProgress<EpochReport>(_ => seeded.Add(net!.modules().OfType<Dropout>().Single().Generator is not null));
        var result = Train(new ModuleExperiment(Settings(epochs: 1), () => net = new SmallNet()), progress: look);

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.Equal([true], seeded);
        using var fresh = new SmallNet();
        Assert.Null(fresh.modules().OfType<Dropout>().Single().Generator);
        Assert.Equal(1, Dropout.SeedAll(fresh, 1));
        Assert.NotNull(fresh.modules().OfType<Dropout>().Single().Generator);
    }

    [Fact]
    public void Cuda_without_a_cuda_backend_is_a_clear_error_before_training()
    {
        if (cuda.is_available())
        {
            return; // a CUDA build: nothing to refuse (this repository references TorchSharp-cpu)
        }

        var experiment = new ModuleExperiment(Settings() with { Device = ComputeDevice.Cuda }, () => new SmallNet());

        var exception = Assert.Throws<ArgumentException>(() => Train(experiment));
        Assert.Contains("device 'cuda' needs TorchSharp's CUDA build", exception.Message, StringComparison.Ordinal);
        Assert.Contains("this process has only the CPU backend", exception.Message, StringComparison.Ordinal);
        Assert.Null(experiment.LastModel); // refused before the model was even created

        var failed = new ExperimentSession(_ => mnist.Subset).Run(experiment);
        Assert.Equal(ExperimentStatus.Failed, failed.Status);
        Assert.StartsWith("device 'cuda' needs", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_module_is_measured_and_its_full_state_kept()
    {
        var result = Train(new ModuleExperiment(Settings(epochs: 1), () => new SmallNet(hidden: 32)));

        var model = result.Model!;
        Assert.Equal(ModelKind.Module, model.Kind);
        var expectedParameters = (784 * 32) + 32 + 32 + 32 + (32 * 10) + 10;
        Assert.Equal(expectedParameters, model.ParameterCount);
        Assert.Equal(model.ParameterCount, model.Layers.Sum(l => l.Parameters));
        Assert.True(new[] { "fc1", "bn1", "dropout1", "fc2" }.SequenceEqual(model.Layers.Select(l => l.Name)), string.Join(", ", model.Layers.Select(l => l.Name)));
        // SmallNet calls its children's forward directly, which TorchSharp's forward hooks do not see: shapes unknown.
        Assert.All(model.Layers, l => Assert.Null(l.OutputShape));
        Assert.Equal("Dropout", model.Layers[2].Type);

        var state = result.State!;
        Assert.Null(result.Weights); // fc1's [32, 784] is no per-class template
        Assert.Equal(expectedParameters, state.ParameterCount);
        Assert.True(state.Entries.Single(e => e.Name == "fc1.weight").IsParameter);
        Assert.False(state.Entries.Single(e => e.Name == "bn1.running_var").IsParameter);
        Assert.Contains(state.Entries, e => e.Name == "bn1.num_batches_tracked" && e.Values.Single() == 30);
        Assert.Equal([32L, 784L], state.Entries.Single(e => e.Name == "fc1.weight").Shape);
    }

    [Fact]
    public void Measure_counts_what_parameters_holds_and_finds_convolution_shapes()
    {
        using var cnn = new TinyCnn();
        var summary = ModelSummary.Measure(cnn, [1, 28, 28]);

        Assert.Equal(cnn.parameters().Sum(p => p.numel()), summary.ParameterCount);
        Assert.Equal([4, 14, 14], summary.Layers.Single(l => l.Name == "conv1").OutputShape);
        Assert.Equal([10], summary.Layers.Single(l => l.Name == "fc1").OutputShape);
        Assert.Equal((4 * 9) + 4, summary.Layers.Single(l => l.Name == "conv1").Parameters);
        Assert.True(cnn.training);
    }

    [Fact]
    public void A_linear_experiment_keeps_its_declared_summary_and_weights()
    {
        var result = new TestExperiment(TestExperiment.BlogRecipe with { Epochs = 1 }).Run(new ExperimentContext(mnist.Subset));

        Assert.Equal(ModelSummary.Linear(784, 10).Architecture, result.Model!.Architecture);
        Assert.Equal(7850, result.State!.ParameterCount);
        Assert.Equal(10, result.Weights!.Rows);
        Assert.Equal(result.Weights.AsSpan().ToArray(), result.State.Entries.Single(e => e.Name == "weight").Values);
    }

    [Fact]
    public void Convolutional_models_are_evaluated_in_small_chunks_with_the_same_result()
    {
        using var cnn = new TinyCnn();
        using var linear = nn.Linear(784, 10);
        Assert.Equal(Evaluator.ConvolutionalChunkSize, Evaluator.ChunkSizeFor(cnn));
        Assert.Equal(Evaluator.ChunkSize, Evaluator.ChunkSizeFor(linear));
        Assert.InRange(Evaluator.ConvolutionalChunkSize, 1, 1000);

        using var inputs = mnist.Subset.Test.Inputs.squeeze(1).reshape(1000, 784).to_type(ScalarType.Float32).div(255f);
        var chunked = Evaluator.Evaluate(cnn, inputs, mnist.Subset.Test.Labels, 10);
        var whole = Evaluator.Evaluate(cnn, inputs, mnist.Subset.Test.Labels, 10, chunkSize: 1000);
        Assert.Equal(whole.ConfusionMatrix, chunked.ConfusionMatrix);
        Assert.Equal(whole.Loss, chunked.Loss, 5);
    }

    [Fact]
    public void Batch_progress_arrives_within_epochs_and_is_not_training_time()
    {
        // 30 steps per epoch of at least 20 ms each (600 ms), a display that takes 300 ms per report.
        var reports = new List<BatchReport>();
        var slow = new ActionProgress<BatchReport>(r =>
        {
            reports.Add(r);
            Thread.Sleep(300);
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = Train(new ModuleExperiment(Settings(epochs: 2), () => new SmallNet { SleepMilliseconds = 20 }), batches: slow);
        var wall = clock.Elapsed.TotalSeconds;

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.InRange(reports.Count, 2, 20);
        Assert.Contains(reports, r => r.Epoch == 1);
        Assert.Contains(reports, r => r.Epoch == 2);
        Assert.All(reports, r =>
        {
            Assert.Equal(30, r.TotalBatches);
            Assert.Equal(3000, r.EpochImages);
            Assert.InRange(r.Batch, 1, 30);
            Assert.Equal(r.Batch * 100, r.Images);
            Assert.InRange(r.ElapsedSeconds, 0.09, 5);
        });
        Assert.True(result.TrainSeconds < wall - (0.3 * reports.Count) + 0.05, $"train {result.TrainSeconds} s, wall {wall} s, {reports.Count} reports");
    }

    [Fact]
    public void The_session_passes_batch_progress_to_the_trainer()
    {
        var reports = new List<BatchReport>();
        var session = new ExperimentSession(_ => mnist.Subset) { MeasureCurves = false };
        var result = session.Run(
            new ModuleExperiment(Settings(epochs: 1), () => new SmallNet { SleepMilliseconds = 10 }),
            null,
            new ActionProgress<BatchReport>(reports.Add),
            CancellationToken.None);

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.NotEmpty(reports); // 30 steps of at least 10 ms: at least one report after 100 ms
        Assert.Equal(reports.OrderBy(r => r.Batch).Select(r => r.Batch), reports.Select(r => r.Batch));
    }

    [Fact]
    public void Two_dropout_layers_of_one_run_draw_different_masks()
    {
        Assert.NotEqual(Dropout.DeriveSeed(3, 0), Dropout.DeriveSeed(3, 1));
        Assert.NotEqual(Dropout.DeriveSeed(3, 0), Dropout.DeriveSeed(4, 0));
        using var first = new Dropout(0.5);
        using var second = new Dropout(0.5);
        first.Seed(Dropout.DeriveSeed(3, 0));
        second.Seed(Dropout.DeriveSeed(3, 1));
        using var ones = torch.ones(1000);
        Assert.False(first.forward(ones).allclose(second.forward(ones), rtol: 0, atol: 0));
    }

    private sealed class ActionProgress<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
