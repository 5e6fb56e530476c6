using Experiments.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Experiments.Training.Optimizers;

/// <summary>
/// TorchSharp's <see cref="TorchSharp.Modules.Adam"/> (L2 weight decay added to the gradient, AMSGrad, maximize) with
/// a <see cref="step"/> that holds every number it hands libtorch for the whole call (see <see cref="Scalars"/>):
/// the same operations in the same order, so the same bits, without the temporary Scalars a garbage collection on
/// another thread could free while libtorch reads them.
/// </summary>
/// <remarks>
/// Named like TorchSharp's class on purpose: TorchSharp writes the optimizer's type name into its saved state and
/// checks it on loading, so a training state saved by either class loads into the other, and messages about a state
/// that does not fit still name "Adam". The options, the state and their serialization are the base class's.
/// </remarks>
internal sealed class Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
    : TorchSharp.Modules.Adam(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize)
{
    /// <summary>One update of every parameter with a gradient, as <see cref="TorchSharp.Modules.Adam.step"/> computes it.</summary>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(
        group =>
        {
            var options = group.Options;
            var beta1 = options.beta1!.Value;
            var beta2 = options.beta2!.Value;
            var weightDecay = options.weight_decay!.Value;
            var amsgrad = options.amsgrad!.Value;
            var maximize = options.maximize!.Value;
            var eps = options.eps!.Value;
            var lr = options.LearningRate!.Value;

            using var firstKeep = beta1.ToScalar();
            using var firstShare = (1 - beta1).ToScalar();
            using var secondKeep = beta2.ToScalar();
            using var secondShare = (1 - beta2).ToScalar();
            using var decay = weightDecay.ToScalar();
            using var epsilon = eps.ToScalar();
            foreach (var param in group.Parameters)
            {
                var state = (State)_state[param.Handle];
                var grad = param.grad;
                if (grad is null)
                {
                    continue;
                }

                if (maximize)
                {
                    grad = grad.neg();
                }

                state.step += 1;
                var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                var biasCorrection2 = 1 - Math.Pow(beta2, state.step);

                if (weightDecay != 0)
                {
                    grad = grad.add(param, alpha: decay);
                }

                state.exp_avg.mul_(firstKeep).add_(grad, alpha: firstShare);
                state.exp_avg_sq.mul_(secondKeep).addcmul_(grad, grad.conj(), value: secondShare);

                if (amsgrad)
                {
                    var previous = state.max_exp_avg_sq;
                    state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                    previous.Dispose();
                }

                // TorchSharp's (sqrt() / Math.Sqrt(biasCorrection2)).add_(eps): add_(eps) is add_(eps, alpha: 1).
                using var correction2 = Math.Sqrt(biasCorrection2).ToScalar();
                var denominator = (amsgrad ? state.max_exp_avg_sq : state.exp_avg_sq).sqrt().div(correction2).add_(epsilon, Scalars.One);

                using var stepSize = (-(lr / biasCorrection1)).ToScalar();
                param.addcdiv_(state.exp_avg, denominator, value: stepSize);
            }
        },
        closure);
}
