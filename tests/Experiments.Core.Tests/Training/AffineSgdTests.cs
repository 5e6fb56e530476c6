using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// The fused SGD step of the affine fast path against TorchSharp's own <c>optim.SGD</c> on autograd gradients: the same
/// weights after every step, for plain SGD, momentum, Nesterov and weight decay, with a learning rate that changes
/// between steps (as the schedules change it) and a last batch shorter than the others.
/// </summary>
[Collection(AloneWithTorchSharp.Name)]
public sealed class AffineSgdTests
{
    public static TheoryData<double, double, bool> Configurations => new()
    {
        { 0, 0, false },
        { 0, 1e-2, false },
        { 0.9, 0, false },
        { 0.9, 1e-2, false },
        { 0.9, 0, true },
        { 0.9, 1e-2, true },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_step_gives_the_weights_of_torch_sgd(double momentum, double weightDecay, bool nesterov)
    {
        using var generator = new Generator(11);
        using var scope = NewDisposeScope();
        var pixels = randint(0, 256, [53, 30], dtype: ScalarType.Float32, generator: generator);
        var targets = randint(0, 4, [53], dtype: ScalarType.Int64, generator: generator);
        using var reference = nn.Linear(30, 4);
        using var fused = nn.Linear(30, 4);
        using (no_grad())
        {
            var referenceParameters = reference.parameters().ToList();
            var fusedParameters = fused.parameters().ToList();
            for (var i = 0; i < 2; i++)
            {
                fusedParameters[i].copy_(referenceParameters[i]);
            }
        }

        var initial = fused.parameters().First().detach().clone();
        using var optimizer = optim.SGD(reference.parameters(), 0.1, momentum, dampening: 0, weight_decay: weightDecay, nesterov: nesterov);
        var autograd = new AutogradGradient(reference, optimizer);
        using var affine = AffineGradient.TryCreate(fused, 30, 4)!;
        using var sgd = new AffineSgd(affine, momentum, weightDecay, nesterov);
        var logLikelihoods = zeros(1, 20, dtype: ScalarType.Float64);
        var referenceLoss = 0.0;
        var step = 0;
        for (var start = 0; start < 53; start += 20, step++)
        {
            var length = Math.Min(20, 53 - start);
            var batch = pixels.narrow(0, start, length);
            var batchTargets = targets.narrow(0, start, length);
            var rate = 0.05 * (step + 1);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = rate;
            }

            referenceLoss += autograd.Compute(batch.div(255f), batchTargets).item<double>();
            optimizer.step();
            using (no_grad())
            {
                sgd.Step(batch, batchTargets.unsqueeze(0), 1f / 255, rate, logLikelihoods);
            }

            var expected = reference.parameters().ToList();
            var actual = fused.parameters().ToList();
            for (var i = 0; i < 2; i++)
            {
                Assert.True(actual[i].allclose(expected[i], rtol: 1e-4, atol: 1e-6), $"parameter {i} differs after step {step + 1}");
            }
        }

        Assert.Equal(3, step);
        var fusedLoss = -logLikelihoods.sum().item<double>();
        Assert.InRange(Math.Abs(fusedLoss - referenceLoss) / referenceLoss, 0, 1e-5);
        // The weights moved: the comparison above is not between two untouched models.
        Assert.False(fused.parameters().First().allclose(initial));
    }
}
