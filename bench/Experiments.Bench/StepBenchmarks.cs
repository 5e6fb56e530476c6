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
    private ImageDataset? data;
    private Tensor? pixels;
    private Tensor? order;
    private nn.Module<Tensor, Tensor>? model;
    private optim.Optimizer? optimizer;
    private Experiments.Training.IGradientSource? fast;
    private Experiments.Training.IGradientSource? autograd;
    private long start;

    public static void RunAll()
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkRunner.Run<StepBenchmarks>(config);
    }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        store = new DatasetStore(new DatasetStoreOptions { DataRoot = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "data") });
        data = store.Load("mnist");
        pixels = data.Train.Images.reshape(data.Train.Count, -1);
        order = randperm(data.Train.Count);
        model = nn.Linear(784, 10);
        optimizer = optim.SGD(model.parameters(), 0.001);
        fast = Experiments.Training.AffineGradient.TryCreate(model, 784, 10);
        autograd = new Experiments.Training.AutogradGradient(model, optimizer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
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

    [Benchmark(Description = "SGD step, fast path")]
    public void FastStep()
    {
        using var scope = NewDisposeScope();
        var (x, y) = NextBatch();
        fast!.Compute(x, y);
        optimizer!.step();
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
        Experiments.Preprocessing.Deskew.Apply(data!.Test.Images);
    }

    private (Tensor Inputs, Tensor Targets) NextBatch()
    {
        var indices = order!.narrow(0, start, 100);
        start = (start + 100) % data!.Train.Count;
        return (pixels!.index_select(0, indices).to_type(ScalarType.Float32).div_(255f), data.Train.Labels.index_select(0, indices));
    }
}
