using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Experiments.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Bench;

/// <summary>
/// Micro-benchmarks where BenchmarkDotNet fits: one optimizer step of the seed recipe (batch 100) on the fast path
/// and through autograd, a 100-row batch gather, and deskewing 10,000 images. In process (the native TorchSharp
/// libraries are next to this assembly), one torch thread.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    private DatasetStore? store;
    private Dataset? data;
    private Tensor? pixels;
    private Tensor? order;
    private nn.Module<Tensor, Tensor>? model;
    private optim.Optimizer? optimizer;
    private Experiments.Training.IGradientSource? fast;
    private Experiments.Training.IGradientSource? autograd;
    private long start;
    private Tensor? buffer;
    private Tensor? fixedTargets;
    private Experiments.Training.TrainingInputs? inputs;

    public static void RunAll()
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        BenchmarkRunner.Run<StepBenchmarks>(config);
    }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        store = Program.OpenStore();
        data = store.Load("mnist");
        pixels = data.Train.Inputs.reshape(data.Train.Count, -1);
        order = randperm(data.Train.Count);
        model = nn.Linear(784, 10);
        optimizer = optim.SGD(model.parameters(), 0.001);
        fast = Experiments.Training.AffineGradient.TryCreate(model, 784, 10);
        autograd = new Experiments.Training.AutogradGradient(model, optimizer);
        buffer = empty(100, 784);
        fixedTargets = data.Train.Labels.narrow(0, 0, 100);
        inputs = Experiments.Training.TrainingInputs.Prepare(data, Recipes.Find("seed-recipe").Experiment.Settings, cacheFloats: false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        inputs?.Dispose();
        optimizer?.Dispose();
        model?.Dispose();
        store?.Dispose();
    }

    [Benchmark(Description = "gather 100 rows + to float")]
    public void Gather()
    {
        using var scope = NewDisposeScope();
        NextBatch();
    }

    [Benchmark(Description = "gather 100 rows into a kept float buffer")]
    public void GatherIntoBuffer()
    {
        using var scope = NewDisposeScope();
        var indices = order!.narrow(0, start, 100);
        start = (start + 100) % data!.Train.Count;
        using var rows = pixels!.index_select(0, indices);
        buffer!.copy_(rows);
    }

    [Benchmark(Description = "SGD step, fast path (trainer's gather)")]
    public void FastStep()
    {
        using var scope = NewDisposeScope();
        var indices = order!.narrow(0, start, 100);
        start = (start + 100) % data!.Train.Count;
        var (x, scale) = inputs!.GatherScaled(indices);
        ((Experiments.Training.AffineGradient)fast!).Compute(x, data.Train.Labels.index_select(0, indices), scale);
        optimizer!.step();
    }

    [Benchmark(Description = "optimizer.step() alone (SGD, gradients set)")]
    public void OptimizerStepAlone()
    {
        using var scope = NewDisposeScope();
        optimizer!.step();
    }

    [Benchmark(Description = "fast-path gradient alone (batch fixed)")]
    public void GradientAlone()
    {
        using var scope = NewDisposeScope();
        ((Experiments.Training.AffineGradient)fast!).Compute(buffer!, fixedTargets!, 1f / 255);
    }

    [Benchmark(Description = "SGD step, autograd")]
    public void AutogradStep()
    {
        using var scope = NewDisposeScope();
        var (x, y) = NextBatch();
        autograd!.Compute(x, y);
        optimizer!.step();
    }

    [Benchmark(Description = "deskew 10,000 images")]
    public void Deskew()
    {
        using var scope = NewDisposeScope();
        Experiments.Preprocessing.Deskew.Apply(data!.Test.Inputs.squeeze(1));
    }

    private (Tensor Inputs, Tensor Targets) NextBatch()
    {
        var indices = order!.narrow(0, start, 100);
        start = (start + 100) % data!.Train.Count;
        return (pixels!.index_select(0, indices).to_type(ScalarType.Float32).div_(255f), data.Train.Labels.index_select(0, indices));
    }
}
