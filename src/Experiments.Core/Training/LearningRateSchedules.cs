using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// Sets the optimizer's learning rate from <see cref="ExperimentSettings.LrSchedule"/> before every step.
/// </summary>
/// <remarks>
/// Written out rather than with TorchSharp's <c>lr_scheduler</c> classes: those update the rate recursively from its
/// previous value (rounding drifts over thousands of steps), and they do not reach L-BFGS, whose rate lives in
/// native code behind <see cref="LBFGS.LearningRate"/>. The formulas are PyTorch's closed forms.
/// </remarks>
internal sealed class LearningRateScheduler(ExperimentSettings settings, optim.Optimizer optimizer, int stepsPerEpoch)
{
    private readonly long totalSteps = (long)settings.Epochs * stepsPerEpoch;

    /// <summary>The learning rate of step <paramref name="step"/> (0-based, within <paramref name="epoch"/>, 1-based).</summary>
    public double RateAt(int epoch, int step) => settings.LrSchedule switch
    {
        LearningRateSchedule.Constant => settings.LearningRate,
        LearningRateSchedule.Cosine => settings.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (((long)(epoch - 1) * stepsPerEpoch) + step) / totalSteps)),
        LearningRateSchedule.Step => settings.LearningRate * Math.Pow(settings.LrStepGamma, (epoch - 1) / settings.LrStepEpochs),
        _ => throw new NotSupportedException($"lrSchedule {settings.LrSchedule} is not supported"),
    };

    /// <summary>Sets the rate for the coming step; does nothing with a constant rate (the optimizer already has it).</summary>
    public void BeforeStep(int epoch, int step)
    {
        if (settings.LrSchedule == LearningRateSchedule.Constant || (settings.LrSchedule == LearningRateSchedule.Step && step != 0))
        {
            return;
        }

        var rate = RateAt(epoch, step);
        if (optimizer is LBFGS lbfgs)
        {
            lbfgs.LearningRate = rate;
        }
        else
        {
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = rate;
            }
        }
    }
}
