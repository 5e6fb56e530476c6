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
/// One-cycle is PyTorch's <c>OneCycleLR</c> with <c>max_lr</c> = <see cref="ExperimentSettings.LearningRate"/> and its
/// defaults (two phases, 30% rising, cosine annealing, <c>div_factor</c> 25, <c>final_div_factor</c> 10⁴,
/// <c>cycle_momentum</c>: SGD's momentum or Adam's and AdamW's β1 go from 0.95 down to 0.85 at the peak and back), stepped
/// once per mini-batch, written out (<see cref="OneCycleRate"/>, <see cref="OneCycleMomentum"/>) as the same formulas
/// TorchSharp's <c>optim.lr_scheduler.OneCycleLR</c> has. Not that class itself: in TorchSharp 0.107 it writes the
/// momentum into the optimizer's defaults, which a step never reads (each parameter group has its own copy), so its
/// momentum does not cycle. As in PyTorch, the cycled momentum replaces the <c>momentum</c> key, and plain SGD gets
/// momentum. The trainer sends one-cycle experiments through the optimizer (never the fused affine SGD step). For
/// L-BFGS, which has no momentum, the rate alone follows the formula, once per epoch.
/// </para>
/// </remarks>
internal sealed class LearningRateScheduler
{
    private readonly ExperimentSettings settings;
    private readonly optim.Optimizer optimizer;
    private readonly int stepsPerEpoch;
    private readonly long totalSteps;

    public LearningRateScheduler(ExperimentSettings settings, optim.Optimizer optimizer, int stepsPerEpoch)
    {
        this.settings = settings;
        this.optimizer = optimizer;
        this.stepsPerEpoch = stepsPerEpoch;
        totalSteps = (long)settings.Epochs * stepsPerEpoch;
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
        var initial = maxRate / 25;
        return OneCyclePhase(initial, maxRate, maxRate, initial / 1e4, step, totalSteps);
    }

    /// <summary>PyTorch's <c>OneCycleLR</c> momentum (β1 for Adam) at 0-based step <paramref name="step"/>: 0.95 to 0.85 at the peak, back to 0.95.</summary>
    internal static double OneCycleMomentum(long step, long totalSteps) => OneCyclePhase(0.95, 0.85, 0.85, 0.95, step, totalSteps);

    private static double OneCyclePhase(double start1, double end1, double start2, double end2, long step, long totalSteps)
    {
        const double pctStart = 0.3;
        var peakStep = (pctStart * totalSteps) - 1;
        var lastStep = totalSteps - 1;
        static double Cosine(double start, double end, double pct) => end + ((start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1));
        return step <= peakStep
            ? Cosine(start1, end1, step / peakStep)
            : Cosine(start2, end2, (step - peakStep) / (lastStep - peakStep));
    }

    /// <summary>Sets the rate for the coming step; does nothing with a constant rate (the optimizer already has it).</summary>
    public void BeforeStep(int epoch, int step)
    {
        if (settings.LrSchedule == LearningRateSchedule.OneCycle && optimizer is not LBFGS)
        {
            var index = ((long)(epoch - 1) * stepsPerEpoch) + step;
            var cycleRate = OneCycleRate(settings.LearningRate, index, totalSteps);
            var momentum = OneCycleMomentum(index, totalSteps);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = cycleRate;
                switch (group)
                {
                    case optim.IBetas betas:
                        betas.Betas = (momentum, betas.Betas.Item2);
                        break;
                    case optim.IMomentum sgd:
                        sgd.Momentum = momentum;
                        break;
                }
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
