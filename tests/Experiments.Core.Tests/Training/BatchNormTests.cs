using Experiments.Models;
using TorchSharp;
using static TorchSharp.torch;
using BatchNorm1d = Experiments.Models.BatchNorm1d;
using BatchNorm2d = Experiments.Models.BatchNorm2d;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// The framework's batch normalization against TorchSharp's nn.BatchNorm1d/2d: bit for bit the same outputs,
/// gradients, running statistics and batch count, in training and in evaluation; PyTorch's state_dict; and a
/// training forward that survives garbage collections on another thread, which TorchSharp's does not (its
/// <c>num_batches_tracked.add_(1)</c> makes two temporary Scalars; see Experiments.Torch.Scalars).
/// </summary>
[Collection(AloneWithTorchSharp.Name)]
public sealed class BatchNormTests
{
    public static TheoryData<string, double, double?> Configurations => new()
    {
        { "1d rows", 1e-5, 0.1 },
        { "1d sequences", 1e-5, 0.1 },
        { "2d", 1e-5, 0.1 },
        { "2d", 1e-3, 0.25 },
        { "1d rows", 1e-5, null },
        { "2d", 1e-5, null },
        { "2d", 1e-5, 0.0 },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Training_and_evaluation_give_the_bits_of_TorchSharps_batch_norm(string kind, double eps, double? momentum)
    {
        using var scope = NewDisposeScope();
        const int Channels = 3;
        var (reference, ours) = Pair(kind, Channels, eps, momentum);
        using var generator = new Generator(42);
        using (no_grad())
        {
            // Not the fresh 1 and 0, which would hide a swapped scale and shift.
            var scale = rand(Channels, generator: generator) + 0.5;
            var shift = randn(Channels, generator: generator);
            foreach (var module in new nn.Module[] { reference, ours })
            {
                module.get_parameter("weight")!.copy_(scale);
                module.get_parameter("bias")!.copy_(shift);
            }
        }

        long[] shape = kind switch
        {
            "1d rows" => [16, Channels],
            "1d sequences" => [8, Channels, 5],
            _ => [4, Channels, 5, 5],
        };
        for (var batch = 0; batch < 6; batch++)
        {
            var input = (randn(shape, generator: generator) * (batch + 1)) + batch;
            var weights = randn(shape, generator: generator);
            var (expected, expectedGradients) = TrainingStep(reference, input, weights);
            var (actual, actualGradients) = TrainingStep(ours, input, weights);

            Assert.True(TensorBits.Same(expected, actual), $"{kind}: the training output of batch {batch + 1} differs");
            Assert.All(expectedGradients.Zip(actualGradients), g => Assert.True(TensorBits.Same(g.First, g.Second), $"{kind}: a gradient of batch {batch + 1} differs"));
            AssertSameState(reference, ours, $"{kind} after batch {batch + 1}");
        }

        Assert.Equal(6L, ((BatchNorm)ours).num_batches_tracked.item<long>());
        // Momentum 0 is a factor of 0, as in TorchSharp and PyTorch (null, not 0, is the cumulative average).
        Assert.Equal(momentum == 0, TensorBits.Same(zeros(Channels), ((BatchNorm)ours).running_mean));

        reference.eval();
        ours.eval();
        var test = randn(shape, generator: generator) + 2;
        using (no_grad())
        {
            Assert.True(TensorBits.Same(reference.call(test), ours.call(test)), $"{kind}: the evaluation output differs");
        }

        AssertSameState(reference, ours, $"{kind} after evaluation"); // evaluation counts nothing and updates nothing
        Assert.Equal(6L, ((BatchNorm)ours).num_batches_tracked.item<long>());
    }

    [Fact]
    public void The_state_dict_is_PyTorchs_and_TorchSharps()
    {
        using var ours = new BatchNorm2d(6);
        using var theirs = nn.BatchNorm2d(6);

        string[] expected = ["weight Float32 [6] parameter", "bias Float32 [6] parameter", "running_mean Float32 [6]", "running_var Float32 [6]", "num_batches_tracked Int64 []"];
        Assert.Equal(expected, Describe(ours));
        Assert.Equal(expected, Describe(theirs));
        Assert.Equal(["weight", "bias"], ours.named_parameters().Select(p => p.name));
        Assert.All(ours.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], ours.named_buffers().Select(b => b.name));
        Assert.Equal((6L, 1e-5, 0.1), (ours.num_features, ours.eps, ours.momentum!.Value));
        Assert.Equal((1f, 0f, 0f, 1f, 0L), (ours.weight[0].item<float>(), ours.bias[0].item<float>(), ours.running_mean[0].item<float>(), ours.running_var[0].item<float>(), ours.num_batches_tracked.item<long>()));

        static IEnumerable<string> Describe(nn.Module module)
        {
            var parameters = module.named_parameters().Select(p => p.name).ToHashSet();
            return module.state_dict().Select(e => $"{e.Key} {e.Value.dtype} [{string.Join(",", e.Value.shape)}]{(parameters.Contains(e.Key) ? " parameter" : "")}");
        }
    }

    [Fact]
    public void A_state_dict_of_TorchSharps_batch_norm_loads_and_normalizes_alike()
    {
        using var scope = NewDisposeScope();
        using var theirs = nn.BatchNorm2d(4);
        using var generator = new Generator(5);
        for (var batch = 0; batch < 3; batch++)
        {
            theirs.call(randn([8, 4, 3, 3], generator: generator));
        }

        using var ours = new BatchNorm2d(4);
        ours.load_state_dict(theirs.state_dict());
        theirs.eval();
        ours.eval();

        var input = randn([2, 4, 3, 3], generator: generator);
        Assert.True(TensorBits.Same(theirs.call(input), ours.call(input)));
        Assert.Equal(3L, ours.num_batches_tracked.item<long>());
    }

    [Fact]
    public void Module_to_converts_the_parameters_and_statistics_but_keeps_the_count_an_integer()
    {
        using var scope = NewDisposeScope();
        using var ours = new BatchNorm1d(3);
        using var theirs = nn.BatchNorm1d(3);
        ours.to(ScalarType.Float64);
        theirs.to(ScalarType.Float64);

        Assert.Equal([ScalarType.Float64, ScalarType.Float64, ScalarType.Float64, ScalarType.Float64, ScalarType.Int64], ours.state_dict().Values.Select(t => t.dtype));
        Assert.Equal(ScalarType.Float64, ours.weight.dtype); // the module's own references follow
        Assert.Same(ours.running_mean, ours.state_dict()["running_mean"]);
        var input = randn([5, 3], dtype: ScalarType.Float64);
        Assert.True(TensorBits.Same(theirs.call(input), ours.call(input)));
        Assert.True(TensorBits.Same(theirs.running_var!, ours.running_var));
        Assert.Equal(1L, ours.num_batches_tracked.item<long>());
    }

    [Fact]
    public void Its_tensors_outlive_a_dispose_scope_around_its_creation_and_it_draws_no_random_numbers()
    {
        BatchNorm2d norm;
        random.manual_seed(9);
        using (NewDisposeScope())
        {
            norm = new BatchNorm2d(2);
        }

        using var afterOurs = randn(3);
        random.manual_seed(9);
        using var theirs = nn.BatchNorm2d(2);
        using var afterTheirs = randn(3);

        using (norm)
        {
            Assert.All(norm.state_dict().Values, t => Assert.False(t.IsInvalid));
            using var output = norm.call(ones(2, 2, 1, 1));
            Assert.Equal(1L, norm.num_batches_tracked.item<long>());
        }

        // A generated model's other layers get the initial weights they got with TorchSharp's batch norm.
        Assert.True(TensorBits.Same(afterTheirs, afterOurs));
    }

    [Fact]
    public void An_input_of_the_wrong_rank_is_refused_as_TorchSharp_refuses_it()
    {
        using var norm1d = new BatchNorm1d(3);
        using var norm2d = new BatchNorm2d(3);
        using var image = zeros(2, 3, 4, 4);
        using var rows = zeros(2, 3);

        Assert.StartsWith("expected 2D or 3D input, but got 4D input.", Assert.Throws<ArgumentException>(() => norm1d.call(image)).Message, StringComparison.Ordinal);
        Assert.StartsWith("expected 4D input, but got 2D input.", Assert.Throws<ArgumentException>(() => norm2d.call(rows)).Message, StringComparison.Ordinal);
        Assert.Equal(0L, norm2d.num_batches_tracked.item<long>()); // refused before counting
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(0));
    }

    /// <summary>Then replays as many batches without the pressure: the count and the statistics must be the same bits.</summary>
    [Fact]
    public void Training_forwards_under_garbage_collections_on_another_thread_neither_fail_nor_count_wrong()
    {
        using var scope = NewDisposeScope();
        using var norm = new BatchNorm2d(4);
        using var input = randn([8, 4, 3, 3], generator: new Generator(3));

        var batches = GcPressure.Repeat(TimeSpan.FromSeconds(3), () => norm.call(input).Dispose());

        using var quiet = new BatchNorm2d(4);
        for (var batch = 0; batch < batches; batch++)
        {
            quiet.call(input).Dispose();
        }

        Assert.Equal(batches, norm.num_batches_tracked.item<long>());
        Assert.Equal(ScalarType.Int64, norm.num_batches_tracked.dtype);
        Assert.True(TensorBits.Same(quiet.running_mean, norm.running_mean), "running_mean");
        Assert.True(TensorBits.Same(quiet.running_var, norm.running_var), "running_var");
    }

    private static (nn.Module<Tensor, Tensor> TorchSharp, nn.Module<Tensor, Tensor> Ours) Pair(string kind, long channels, double eps, double? momentum)
    {
        nn.Module<Tensor, Tensor> reference;
        nn.Module<Tensor, Tensor> ours;
        if (kind.StartsWith("1d", StringComparison.Ordinal))
        {
            var norm = nn.BatchNorm1d(channels, eps, momentum ?? 0.1);
            norm.momentum = momentum;
            (reference, ours) = (norm, new BatchNorm1d(channels, eps, momentum));
        }
        else
        {
            var norm = nn.BatchNorm2d(channels, eps, momentum ?? 0.1);
            norm.momentum = momentum;
            (reference, ours) = (norm, new BatchNorm2d(channels, eps, momentum));
        }

        return (reference, ours);
    }

    /// <summary>A training forward and the gradients of a weighted sum of its output: the input's, the scale's and the shift's.</summary>
    private static (Tensor Output, Tensor[] Gradients) TrainingStep(nn.Module<Tensor, Tensor> module, Tensor input, Tensor weights)
    {
        module.train();
        var x = input.detach().requires_grad_();
        var output = module.call(x);
        (output * weights).sum().backward();
        var scale = module.get_parameter("weight")!;
        var shift = module.get_parameter("bias")!;
        Tensor[] gradients = [x.grad!, scale.grad!.clone(), shift.grad!.clone()];
        scale.grad = null;
        shift.grad = null;
        return (output.detach(), gradients);
    }

    private static void AssertSameState(nn.Module expected, nn.Module actual, string what)
    {
        var theirs = expected.state_dict();
        var ours = actual.state_dict();
        Assert.Equal(theirs.Keys, ours.Keys);
        Assert.All(theirs.Keys, key => Assert.True(TensorBits.Same(theirs[key], ours[key]), $"{what}: {key} differs"));
    }
}
