using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>The hand-written gradient of the fast path against autograd, on the same model and batch.</summary>
public sealed class GradientTests
{
    [Fact]
    public void The_fast_path_gives_autograds_loss_and_gradients()
    {
        // A generator of the test's own: test classes run in parallel and share torch's global one.
        using var generator = new Generator(3);
        using var model = nn.Linear(20, 5);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var scope = NewDisposeScope();
        var inputs = rand(37, 20, generator: generator);
        var targets = randint(0, 5, [37], dtype: ScalarType.Int64, generator: generator);

        using var fast = AffineGradient.TryCreate(model, 20, 5);
        Assert.NotNull(fast);
        var fastLoss = fast.Compute(inputs, targets).to_type(ScalarType.Float64).item<double>();
        var fastGradients = model.parameters().Select(p => p.grad!.clone()).ToList();

        var autogradLoss = new AutogradGradient(model, optimizer).Compute(inputs, targets).item<double>();
        var autogradGradients = model.parameters().Select(p => p.grad!.clone()).ToList();

        Assert.InRange(Math.Abs(fastLoss - autogradLoss) / autogradLoss, 0, 1e-5);
        Assert.True(fastLoss > 0);
        for (var i = 0; i < fastGradients.Count; i++)
        {
            Assert.Equal(autogradGradients[i].shape, fastGradients[i].shape);
            Assert.True(fastGradients[i].allclose(autogradGradients[i], rtol: 1e-4, atol: 1e-6), $"gradient {i} differs");
            Assert.True(fastGradients[i].abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void The_scaled_fast_path_on_raw_pixels_equals_autograd_on_scaled_pixels()
    {
        // Training calls Compute(pixels 0-255, targets, 1/255): the scale folded into the GEMMs must equal dividing first.
        using var generator = new Generator(5);
        using var model = nn.Linear(784, 10);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var scope = NewDisposeScope();
        var pixels = randint(0, 256, [50, 784], dtype: ScalarType.Float32, generator: generator);
        var targets = randint(0, 10, [50], dtype: ScalarType.Int64, generator: generator);

        using var fast = AffineGradient.TryCreate(model, 784, 10);
        Assert.NotNull(fast);
        var fastLoss = fast.Compute(pixels, targets, 1f / 255).to_type(ScalarType.Float64).item<double>();
        var fastGradients = model.parameters().Select(p => p.grad!.clone()).ToList();

        var autogradLoss = new AutogradGradient(model, optimizer).Compute(pixels.div(255f), targets).item<double>();
        var autogradGradients = model.parameters().Select(p => p.grad!.clone()).ToList();

        Assert.InRange(Math.Abs(fastLoss - autogradLoss) / autogradLoss, 0, 1e-5);
        for (var i = 0; i < fastGradients.Count; i++)
        {
            Assert.True(fastGradients[i].allclose(autogradGradients[i], rtol: 1e-4, atol: 1e-6), $"gradient {i} differs");
        }
    }

    [Fact]
    public void The_full_batch_gradient_is_the_mean_over_every_chunk()
    {
        using var generator = new Generator(4);
        using var model = nn.Linear(6, 3);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var scope = NewDisposeScope();
        var images = randint(0, 256, [25, 2, 3], dtype: ScalarType.Byte, generator: generator);
        var labels = randint(0, 3, [25], dtype: ScalarType.Int64, generator: generator);
        using var split = new global::Experiments.Data.DataSplit(images.clone(), labels.clone());
        var settings = new ExperimentSettings { InputSize = 6, NumClasses = 3, Epochs = 1, BatchSize = 25, LearningRate = 1 };
        using var inputs = TrainingInputs.Prepare(split, settings, cacheFloats: true, inputDivisor: 255, datasetName: "random pixels");
        using var fast = AffineGradient.TryCreate(model, 6, 3)!;

        var chunked = fast.ComputeFullBatch(inputs, chunkSize: 7).item<double>();
        var chunkedGradient = model.parameters().Select(p => p.grad!.clone()).ToList();
        var whole = new AutogradGradient(model, optimizer).Compute(images.reshape(25, 6).to_type(ScalarType.Float32).div(255f), labels).item<double>() / 25;

        Assert.InRange(Math.Abs(chunked - whole) / whole, 0, 1e-5);
        var autogradGradient = model.parameters().Select(p => p.grad!).ToList();
        for (var i = 0; i < 2; i++)
        {
            Assert.True(chunkedGradient[i].allclose(autogradGradient[i], rtol: 1e-4, atol: 1e-6));
        }
    }

    [Fact]
    public void A_model_that_is_not_one_affine_map_goes_through_autograd()
    {
        using var softmax = new SoftmaxLinear(20, 5);
        Assert.Null(AffineGradient.TryCreate(softmax, 20, 5));
        using var wrongShape = nn.Linear(20, 4);
        Assert.Null(AffineGradient.TryCreate(wrongShape, 20, 5));
        using var twoLayers = nn.Sequential(nn.Linear(20, 8), nn.Linear(8, 5));
        Assert.Null(AffineGradient.TryCreate(twoLayers, 20, 5));
    }
}

/// <summary>A linear layer whose forward returns softmax probabilities (the blog's pitfall), as the generator writes it.</summary>
internal sealed class SoftmaxLinear : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear linear;

    public SoftmaxLinear(int inputs, int classes)
        : base(nameof(SoftmaxLinear))
    {
        linear = nn.Linear(inputs, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var logits = linear.forward(input);
        return nn.functional.softmax(logits, 1);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            linear.Dispose();
        }

        base.Dispose(disposing);
    }
}
