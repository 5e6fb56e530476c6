using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// The optimizer of <see cref="ExperimentSettings.Optimizer"/>: TorchSharp's SGD, Adam and AdamW with steps that keep
/// their numbers alive (<see cref="Optimizers"/>; the same arithmetic), and TorchSharp's L-BFGS, which steps in libtorch.
/// </summary>
internal static class OptimizerFactory
{
    public static optim.Optimizer Create(IReadOnlyList<TorchSharp.Modules.Parameter> parameters, ExperimentSettings settings) => settings.Optimizer switch
    {
        OptimizerKind.Sgd or OptimizerKind.Momentum =>
            new Optimizers.SGD(parameters, settings.LearningRate, settings.Momentum, dampening: 0, weightDecay: settings.WeightDecay, nesterov: settings.Nesterov),
        OptimizerKind.Adam =>
            new Optimizers.Adam(parameters, settings.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: settings.WeightDecay),
        // Decoupled weight decay: p -= lr · weightDecay · p before the Adam step (PyTorch's AdamW).
        OptimizerKind.AdamW =>
            new Optimizers.AdamW(parameters, settings.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: settings.WeightDecay),
        // One iteration (one full-batch evaluation) per step, so that an epoch is one L-BFGS iteration.
        OptimizerKind.Lbfgs => optim.LBFGS(parameters, settings.LearningRate, max_iter: 1, max_eval: 1, tolerange_grad: 1e-9, tolerance_change: 1e-12, history_size: 100),
        _ => throw new NotSupportedException($"Optimizer {settings.Optimizer} is not supported"),
    };
}
