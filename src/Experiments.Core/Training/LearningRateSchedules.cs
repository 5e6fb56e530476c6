using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// Sets the optimizer's learning rate from <see cref="ExperimentSettings.LrSchedule"/> before every step.
/// </summary>
/// <remarks>
/// <para>
/// Constant, cosine and step are written out rather than with TorchSharp's <c>lr_scheduler</c> classes: those update
/// the rate recursively from its previous value (rounding drifts over thousands of steps), and they do not reach
/// L-BFGS, whose rate lives in native code behind <see cref="LBFGS.LearningRate"/>. The formulas are PyTorch's closed
/// forms.
/// </para>
/// <para>
/// One-cycle is TorchSharp's <c>optim.lr_scheduler.OneCycleLR</c> (a closed form already, as PyTorch's) with
/// <c>max_lr</c> = <see cref="ExperimentSettings.LearningRate"/> and PyTorch's defaults (30% rising, cosine
/// annealing, <c>div_factor</c> 25, <c>final_div_factor</c> 10⁴, momentum or Adam's β1 cycled between 0.95 and 0.85),
/// stepped once per mini-batch. The trainer sends one-cycle experiments through the optimizer (never the fused
/// affine SGD step, which knows no momentum cycling). For L-BFGS, which has no momentum to cycle, the rate alone
/// follows the same formula (<see cref="OneCycleRate"/>), once per epoch.
/// </para>
/// </remarks>
internal sealed class LearningRateScheduler
{
    private readonly ExperimentSettings settings;
    private readonly optim.Optimizer optimizer;
    private readonly int stepsPerEpoch;
    private readonly long totalSteps;
    private readonly optim.lr_scheduler.LRScheduler? oneCycle;

    public LearningRateScheduler(ExperimentSettings settings, optim.Optimizer optimizer, int stepsPerEpoch)
    {
        this.settings = settings;
        this.optimizer = optimizer;
        this.stepsPerEpoch = stepsPerEpoch;
        totalSteps = (long)settings.Epochs * stepsPerEpoch;
        if (settings.LrSchedule == LearningRateSchedule.OneCycle && optimizer is not LBFGS)
        {
            // Sets the rate (and the momentum) of the first step itself.
            oneCycle = optim.lr_scheduler.OneCycleLR(optimizer, settings.LearningRate, total_steps: checked((int)totalSteps));
        }
    }

    /// <summary>The learning rate of step <paramref name="step"/> (0-based, within <paramref name="epoch"/>, 1-based).</summary>
    public double RateAt(int epoch, int step) => settings.LrSchedule switch
    {
        LearningRateSchedule.Constant => settings.LearningRate,
        LearningRateSchedule.Cosine => settings.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (((long)(epoch - 1) * stepsPerEpoch) + step) / totalSteps)),
        LearningRateSchedule.Step => settings.LearningRate * Math.Pow(settings.LrStepGamma, (epoch - 1) / settings.LrStepEpochs),
        LearningRateSchedule.OneCycle => OneCycleRate(settings.LearningRate, ((long)(epoch - 1) * stepsPerEpoch) + step, totalSteps),
        _ => throw new NotSupportedException($"lrSchedule {settings.LrSchedule} is not supported"),
    };

    /// <summary>
    /// PyTorch's <c>OneCycleLR</c> rate at 0-based step <paramref name="step"/> of <paramref name="totalSteps"/> with its
    /// defaults (two phases, cosine annealing, <c>pct_start</c> 0.3, <c>div_factor</c> 25, <c>final_div_factor</c> 10⁴).
    /// </summary>
    internal static double OneCycleRate(double maxRate, long step, long totalSteps)
    {
        const double pctStart = 0.3;
        var initial = maxRate / 25;
        var minimum = initial / 1e4;
        var peakStep = (pctStart * totalSteps) - 1;
        var lastStep = totalSteps - 1;
        static double Cosine(double start, double end, double pct) => end + ((start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1));
        return step <= peakStep
            ? Cosine(initial, maxRate, step / peakStep)
            : Cosine(maxRate, minimum, (step - peakStep) / (lastStep - peakStep));
    }

    /// <summary>Sets the rate for the coming step; does nothing with a constant rate (the optimizer already has it).</summary>
    public void BeforeStep(int epoch, int step)
    {
        if (oneCycle is not null)
        {
            // The scheduler set step 0's rate when it was created; every later step advances it once.
            if (epoch > 1 || step > 0)
            {
                oneCycle.step();
            }

            return;
        }

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
