using Experiments.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using KeptAdam = Experiments.Training.Optimizers.Adam;
using KeptAdamW = Experiments.Training.Optimizers.AdamW;
using KeptSgd = Experiments.Training.Optimizers.SGD;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// The optimizers the trainer uses (Experiments.Training.Optimizers) against TorchSharp's own SGD, Adam and AdamW:
/// bit for bit the same parameters and state after every step, for each option set the experiments use (and the
/// others TorchSharp's step has), with a rate and momentum that change every step as the one-cycle schedule changes
/// them; a state saved by one loads into the other; and their steps survive garbage collections on another thread,
/// which TorchSharp's temporary Scalars do not (see Experiments.Torch.Scalars).
/// </summary>
[Collection(AloneWithTorchSharp.Name)]
public sealed class KeptScalarOptimizerTests
{
    private const int Steps = 25;

    private static readonly long[][] Shapes = [[4, 3], [3], [2, 2, 2]];

    /// <summary>Each option set: TorchSharp's optimizer and this library's, with the same options, over the given parameters.</summary>
    internal static readonly Dictionary<string, (Func<IEnumerable<Parameter>, OptimizerHelper> TorchSharp, Func<IEnumerable<Parameter>, OptimizerHelper> Kept)> Options = new()
    {
        ["sgd"] = (p => optim.SGD(p, 0.1), p => new KeptSgd(p, 0.1)),
        ["sgd weight decay"] = (p => optim.SGD(p, 0.1, weight_decay: 1e-2), p => new KeptSgd(p, 0.1, weightDecay: 1e-2)),
        ["momentum"] = (p => optim.SGD(p, 0.05, 0.9), p => new KeptSgd(p, 0.05, 0.9)),
        ["momentum weight decay"] = (p => optim.SGD(p, 0.05, 0.9, weight_decay: 5e-4), p => new KeptSgd(p, 0.05, 0.9, weightDecay: 5e-4)),
        ["nesterov"] = (p => optim.SGD(p, 0.05, 0.9, nesterov: true), p => new KeptSgd(p, 0.05, 0.9, nesterov: true)),
        ["nesterov weight decay"] = (p => optim.SGD(p, 0.05, 0.9, weight_decay: 5e-4, nesterov: true), p => new KeptSgd(p, 0.05, 0.9, weightDecay: 5e-4, nesterov: true)),
        ["momentum dampening maximize"] = (p => optim.SGD(p, 0.05, 0.8, dampening: 0.3, maximize: true), p => new KeptSgd(p, 0.05, 0.8, dampening: 0.3, maximize: true)),
        ["adam"] = (p => optim.Adam(p, 0.003, 0.9, 0.999, 1e-8), p => new KeptAdam(p, 0.003, 0.9, 0.999, 1e-8)),
        ["adam weight decay"] = (p => optim.Adam(p, 0.003, 0.9, 0.999, 1e-8, weight_decay: 1e-2), p => new KeptAdam(p, 0.003, 0.9, 0.999, 1e-8, weightDecay: 1e-2)),
        ["adam amsgrad maximize"] = (p => optim.Adam(p, 0.003, 0.8, 0.99, 1e-6, weight_decay: 1e-3, amsgrad: true, maximize: true), p => new KeptAdam(p, 0.003, 0.8, 0.99, 1e-6, weightDecay: 1e-3, amsgrad: true, maximize: true)),
        ["adamw"] = (p => optim.AdamW(p, 0.003, 0.9, 0.999, 1e-8), p => new KeptAdamW(p, 0.003, 0.9, 0.999, 1e-8)),
        ["adamw weight decay"] = (p => optim.AdamW(p, 0.003, 0.9, 0.999, 1e-8, weight_decay: 1e-4), p => new KeptAdamW(p, 0.003, 0.9, 0.999, 1e-8, weightDecay: 1e-4)),
        ["adamw amsgrad maximize"] = (p => optim.AdamW(p, 0.003, 0.8, 0.99, 1e-6, weight_decay: 1e-2, amsgrad: true, maximize: true), p => new KeptAdamW(p, 0.003, 0.8, 0.99, 1e-6, weightDecay: 1e-2, amsgrad: true, maximize: true)),
    };

    public static TheoryData<string, bool> Configurations
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var name in Options.Keys)
            {
                data.Add(name, false);
                data.Add(name, true);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_step_gives_the_bits_of_TorchSharps_optimizer(string options, bool cycled)
    {
        using var scope = NewDisposeScope();
        var (theirs, ours) = Options[options];
        var reference = Parameters(seed: 3);
        var kept = Parameters(seed: 3);
        using var referenceOptimizer = theirs(reference);
        using var keptOptimizer = ours(kept);
        Assert.Equal(referenceOptimizer.GetType().Name, keptOptimizer.GetType().Name);
        Assert.NotEqual(referenceOptimizer.GetType(), keptOptimizer.GetType());

        using var generator = new Generator(17);
        for (var step = 0; step < Steps; step++)
        {
            if (cycled)
            {
                Cycle(referenceOptimizer, step);
                Cycle(keptOptimizer, step);
            }

            for (var i = 0; i < Shapes.Length; i++)
            {
                // The last parameter has no gradient every third step: the step leaves it (and its state) alone.
                var gradient = i == Shapes.Length - 1 && step % 3 == 2 ? null : randn(Shapes[i], generator: generator);
                reference[i].grad = gradient?.clone();
                kept[i].grad = gradient?.clone();
            }

            referenceOptimizer.step();
            keptOptimizer.step();

            for (var i = 0; i < Shapes.Length; i++)
            {
                Assert.True(TensorBits.Same(reference[i], kept[i]), $"{options}: parameter {i} differs after step {step + 1}");
                Assert.False(TensorBits.Same(reference[i], Parameters(seed: 3)[i]), $"{options}: parameter {i} did not move"); // the comparison has teeth
            }

            Assert.Equal(Saved(referenceOptimizer), Saved(keptOptimizer)); // options and state: buffers, moments, step counts
        }
    }

    [Theory]
    [InlineData("momentum weight decay")]
    [InlineData("adam weight decay")]
    [InlineData("adamw weight decay")]
    public void A_state_saved_by_TorchSharps_optimizer_goes_on_in_this_one_as_it_would_have_there(string options)
    {
        using var scope = NewDisposeScope();
        var (theirs, ours) = Options[options];
        var reference = Parameters(seed: 5);
        using var referenceOptimizer = theirs(reference);
        using var generator = new Generator(23);
        var gradients = Enumerable.Range(0, 6).Select(_ => Shapes.Select(s => randn(s, generator: generator)).ToArray()).ToArray();
        for (var step = 0; step < 3; step++)
        {
            Step(referenceOptimizer, reference, gradients[step]);
        }

        // What --resume does: a fresh optimizer over a copy of the parameters, its state loaded from the saved bytes.
        var kept = reference.Select(p => new Parameter(p.detach().clone())).ToList();
        using var keptOptimizer = ours(kept);
        using (var reader = new BinaryReader(new MemoryStream(Saved(referenceOptimizer))))
        {
            keptOptimizer.load_state_dict(reader);
        }

        for (var step = 3; step < 6; step++)
        {
            Step(referenceOptimizer, reference, gradients[step]);
            Step(keptOptimizer, kept, gradients[step]);
        }

        Assert.All(Enumerable.Range(0, Shapes.Length), i => Assert.True(TensorBits.Same(reference[i], kept[i]), $"parameter {i}"));
        Assert.Equal(Saved(referenceOptimizer), Saved(keptOptimizer));
    }

    [Fact]
    public void The_trainer_creates_these_optimizers_and_TorchSharps_LBFGS()
    {
        using var scope = NewDisposeScope();
        var parameters = Parameters(seed: 1);
        var settings = new ExperimentSettings { Epochs = 1, BatchSize = 10, LearningRate = 0.1, InputSize = 784, NumClasses = 10 };
        using var sgd = OptimizerFactory.Create(parameters, settings with { Optimizer = OptimizerKind.Sgd });
        using var momentum = OptimizerFactory.Create(parameters, settings with { Optimizer = OptimizerKind.Momentum, Momentum = 0.9, Nesterov = true });
        using var adam = OptimizerFactory.Create(parameters, settings with { Optimizer = OptimizerKind.Adam });
        using var adamW = OptimizerFactory.Create(parameters, settings with { Optimizer = OptimizerKind.AdamW, WeightDecay = 1e-4 });
        using var lbfgs = OptimizerFactory.Create(parameters, settings with { Optimizer = OptimizerKind.Lbfgs });

        Assert.IsType<KeptSgd>(sgd);
        var nesterov = Assert.IsType<KeptSgd>(momentum).ParamGroups.Cast<TorchSharp.Modules.SGD.ParamGroup>().Single().Options;
        Assert.Equal((0.9, true), (nesterov.momentum!.Value, nesterov.nesterov!.Value));
        Assert.IsType<KeptAdam>(adam);
        var decoupled = Assert.IsType<KeptAdamW>(adamW).ParamGroups.Cast<TorchSharp.Modules.AdamW.ParamGroup>().Single().Options;
        Assert.Equal(1e-4, decoupled.weight_decay!.Value);
        Assert.IsType<LBFGS>(lbfgs);
    }

    /// <summary>
    /// Many small parameters, so that a step is many libtorch calls with Scalars; then the same number of steps without
    /// the pressure, which must give the same bits (a freed Scalar can also be read as another number, silently).
    /// </summary>
    [Theory]
    [InlineData("nesterov weight decay")]
    [InlineData("adam weight decay")]
    [InlineData("adamw weight decay")]
    public void Steps_under_garbage_collections_on_another_thread_neither_fail_nor_compute_other_numbers(string options)
    {
        using var scope = NewDisposeScope();
        var create = Options[options].Kept;
        var parameters = StressParameters();
        using var optimizer = create(parameters);

        var steps = GcPressure.Repeat(TimeSpan.FromSeconds(2), () => optimizer.step());

        var quiet = StressParameters();
        using var quietOptimizer = create(quiet);
        for (var step = 0; step < steps; step++)
        {
            quietOptimizer.step();
        }

        Assert.All(Enumerable.Range(0, parameters.Count), i => Assert.True(TensorBits.Same(quiet[i], parameters[i]), $"parameter {i} after {steps} steps"));
        Assert.False(TensorBits.Same(StressParameters()[0], parameters[0]), "the steps did not move the parameters");
    }

    /// <summary>32 parameters of 2 elements with the gradient 0.5 − i/64 each.</summary>
    private static List<Parameter> StressParameters()
    {
        var parameters = Enumerable.Range(0, 32).Select(_ => new Parameter(ones(2))).ToList();
        for (var i = 0; i < parameters.Count; i++)
        {
            parameters[i].grad = full(2, 0.5f - (i / 64f));
        }

        return parameters;
    }

    /// <summary>Three parameters of different shapes, drawn from a generator seeded <paramref name="seed"/>.</summary>
    private static List<Parameter> Parameters(int seed)
    {
        using var generator = new Generator((ulong)seed);
        return Shapes.Select(s => new Parameter(randn(s, generator: generator))).ToList();
    }

    private static void Step(OptimizerHelper optimizer, List<Parameter> parameters, Tensor[] gradients)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            parameters[i].grad = gradients[i].clone();
        }

        optimizer.step();
    }

    /// <summary>A one-cycle-like change of the rate and of SGD's momentum or Adam's β1, as LearningRateSchedules makes before each step.</summary>
    private static void Cycle(OptimizerHelper optimizer, int step)
    {
        var phase = Math.Cos(Math.PI * step / (Steps - 1));
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = group.InitialLearningRate * (0.55 - (0.45 * phase));
            switch (group)
            {
                case optim.IBetas betas:
                    betas.Betas = (0.9 + (0.05 * phase), betas.Betas.Item2);
                    break;
                case optim.IMomentum sgd when sgd.Momentum != 0:
                    sgd.Momentum = 0.9 + (0.05 * phase);
                    break;
            }
        }
    }

    /// <summary>The optimizer's options and state as TorchSharp saves them (what a training state keeps).</summary>
    private static byte[] Saved(OptimizerHelper optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            optimizer.save_state_dict(writer);
        }

        return stream.ToArray();
    }
}
