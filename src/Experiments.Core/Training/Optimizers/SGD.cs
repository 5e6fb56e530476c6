using Experiments.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Experiments.Training.Optimizers;

/// <summary>
/// TorchSharp's <see cref="TorchSharp.Modules.SGD"/> (weight decay, momentum, dampening, Nesterov, maximize) with a
/// <see cref="step"/> that holds every number it hands libtorch for the whole call (see <see cref="Scalars"/>):
/// the same operations in the same order, so the same bits, without the temporary Scalars a garbage collection on
/// another thread could free while libtorch reads them.
/// </summary>
/// <remarks>
/// Named like TorchSharp's class on purpose: TorchSharp writes the optimizer's type name into its saved state and
/// checks it on loading, so a training state saved by either class loads into the other, and messages about a state
/// that does not fit still name "SGD". The options, the state and their serialization are the base class's.
/// </remarks>
internal sealed class SGD(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
    : TorchSharp.Modules.SGD(parameters, lr, momentum, dampening, weightDecay, nesterov, maximize)
{
    /// <summary>One update of every parameter with a gradient, as <see cref="TorchSharp.Modules.SGD.step"/> computes it.</summary>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(
        group =>
        {
            var options = group.Options;
            var momentum = options.momentum!.Value;
            var dampening = options.dampening!.Value;
            var weightDecay = options.weight_decay!.Value;
            var nesterov = options.nesterov!.Value;
            var maximize = options.maximize!.Value;
            var lr = options.LearningRate!.Value;

            using var decay = weightDecay.ToScalar();
            using var keep = momentum.ToScalar();
            using var gradientShare = (1 - dampening).ToScalar();
            using var rate = (maximize ? lr : -lr).ToScalar();
            foreach (var param in group.Parameters)
            {
                var state = (State)_state[param.Handle];
                var grad = param.grad;
                if (grad is null)
                {
                    continue;
                }

                if (weightDecay != 0)
                {
                    grad = grad.add(param, alpha: decay);
                }

                if (momentum != 0)
                {
                    var buffer = state.momentum_buffer;
                    if (buffer is null)
                    {
                        buffer = grad.clone().detach().DetachFromDisposeScope();
                        state.momentum_buffer = buffer;
                    }
                    else
                    {
                        buffer.mul_(keep).add_(grad, alpha: gradientShare);
                    }

                    grad = nesterov ? grad.add(buffer, alpha: keep) : buffer;
                }

                param.add_(grad, alpha: rate);
            }
        },
        closure);
}
