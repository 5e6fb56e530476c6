using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.Models;
using Experiments.Preprocessing;
using Experiments.Torch;
using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Torch;

/// <summary>
/// The library's code that holds its Scalars (Torch/Scalars.cs) against the TorchSharp code it replaced, which let
/// numbers become Scalars implicitly: equal bit for bit (<c>torch.equal</c>, which <c>Tensor.Equals</c> calls, or the same double), so the shipped
/// accuracies cannot move. Each "Old" expression below is the replaced code, verbatim.
/// </summary>
[Collection(AloneWithTorchSharp.Name)]
public sealed class HeldScalarIdentityTests
{
    /// <summary>The rewrites, one by one: the same libtorch op with a Scalar of the same .NET type.</summary>
    public static TheoryData<string> Rewrites => new(RewriteCases.Keys);

    private static readonly Dictionary<string, Rewrite> RewriteCases = new()
    {
        ["add_(t) → add_(t, One)"] = new((a, b) => a.clone().add_(b), (a, b) => a.clone().add_(b, alpha: Scalars.One)),
        ["a * n + b → a.mul(n).add(b, One)"] = new((a, b) => a * 7 + b, (a, b) => { using var n = 7.ToScalar(); return a.mul(n).add(b, alpha: Scalars.One); }),
        ["a / n → a.div(n)"] = new((a, _) => a / 60000, (a, _) => { using var n = 60000.ToScalar(); return a.div(n); }),
        ["div(float) → div(float Scalar)"] = new((a, _) => a.div(255f), (a, _) => { using var n = 255f.ToScalar(); return a.div(n); }),
        ["mul_(1f / n) → mul_(float Scalar)"] = new((a, _) => a.clone().mul_(1f / 37), (a, _) => { using var s = (1f / 37).ToScalar(); return a.clone().mul_(s); }, Integers: false),
        ["mul_(long) → mul_(long Scalar)"] = new((a, _) => a.clone().mul_(100L), (a, _) => { using var s = 100L.ToScalar(); return a.clone().mul_(s); }),
        ["add_(t, alpha: double) → held double"] = new((a, b) => a.clone().add_(b, alpha: -0.1 * 0.9), (a, b) => { using var s = (-0.1 * 0.9).ToScalar(); return a.clone().add_(b, alpha: s); }, Integers: false),
        ["square() → pow(2)"] = new((a, _) => a.square(), (a, _) => { using var two = 2.ToScalar(); return a.pow(two); }),
        ["clamp_min_(0) → clamp_min_(Zero)"] = new((a, _) => a.clone().clamp_min_(0), (a, _) => a.clone().clamp_min_(Scalars.Zero)),
        ["gt(1e-8) → gt(held)"] = new((a, _) => a.gt(1e-8), (a, _) => { using var s = 1e-8.ToScalar(); return a.gt(s); }),
        ["le(0) → le(Zero)"] = new((a, _) => a.le(0), (a, _) => a.le(Scalars.Zero)),
    };

    [Theory]
    [MemberData(nameof(Rewrites))]
    public void Each_rewrite_is_the_same_operation(string name)
    {
        var rewrite = RewriteCases[name];
        using var generator = new Generator(17);
        using var scope = NewDisposeScope();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            var a = randn(50, 7, dtype: dtype, generator: generator).mul_(100);
            var b = randn(50, 7, dtype: dtype, generator: generator);
            AssertEqual(rewrite.Old(a, b), rewrite.New(a, b), $"{name} on {dtype}");
        }

        if (rewrite.Integers)
        {
            var labels = randint(-10, 10, [50, 7], dtype: ScalarType.Int64, generator: generator);
            AssertEqual(rewrite.Old(labels, labels), rewrite.New(labels, labels), $"{name} on int64");
        }
    }

    [Fact]
    public void A_Scalar_of_another_type_would_change_the_result_so_the_types_above_matter()
    {
        // What the rewrites must not do: to a float64 tensor 0.1f and 0.1 are different numbers, and to an int64
        // tensor a double Scalar makes the result a float tensor.
        using var scope = NewDisposeScope();
        var doubles = arange(1, 1000, dtype: ScalarType.Float64);
        using var asFloat = 0.1f.ToScalar();
        using var asDouble = 0.1.ToScalar();
        Assert.False(doubles.mul(asFloat).Equals(doubles.mul(asDouble)));
        var integers = arange(1, 1000, dtype: ScalarType.Int64);
        using var seven = 7.ToScalar();
        using var sevenAsDouble = 7.0.ToScalar();
        Assert.Equal(ScalarType.Int64, integers.mul(seven).dtype);
        Assert.Equal(ScalarType.Float32, integers.mul(sevenAsDouble).dtype); // the default floating type
    }

    [Fact]
    public void Dropout_draws_and_scales_as_before()
    {
        using var scope = NewDisposeScope();
        using var inputGenerator = new Generator(3);
        var input = randn(64, 33, generator: inputGenerator);
        using var dropout = new Dropout(0.2);
        dropout.train();
        dropout.Seed(42);
        var actual = dropout.forward(input);

        // Old: mask.bernoulli_(keep, generator).div_(keep); input.mul(mask).
        using var generator = new Generator(42);
        var keep = 1 - 0.2;
        var mask = empty_like(input, requires_grad: false);
        mask.bernoulli_(keep, generator).div_(keep);
        AssertEqual(input.mul(mask), actual, "dropout");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void An_input_transform_applies_as_before(bool floats, bool standardize)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        var raw = randint(0, 256, [20, 1, 4, 4], dtype: ScalarType.Byte, generator: generator);
        var examples = floats ? raw.to_type(ScalarType.Float32) : raw;
        float[]? mean = standardize ? [.. Enumerable.Range(0, 16).Select(i => 0.01f * i)] : null;
        float[]? std = standardize ? [.. Enumerable.Range(0, 16).Select(i => 0.3f + (0.01f * i))] : null;
        var transform = new InputTransform([1, 4, 4], 255, Deskew: false, mean, std);

        var actual = transform.Apply(examples);

        // Old: var divisor = (float)Divisor; flat.div(divisor) or flat.to_type(Float32).div_(divisor), then sub_/div_.
        var divisor = (float)transform.Divisor;
        var flat = examples.reshape(20, -1);
        var expected = flat.dtype == ScalarType.Float32 ? flat.div(divisor) : flat.to_type(ScalarType.Float32).div_(divisor);
        if (mean is not null && std is not null)
        {
            expected.sub_(tensor(mean)).div_(tensor(std));
        }

        AssertEqual(expected, actual, "input transform");
    }

    [Fact]
    public void Deskew_moments_are_as_before()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(8);
        var images = rand(9, 28, 28, generator: generator).mul_(255);
        images[3].zero_(); // a blank image: the where branch

        var actual = Deskew.Moments(images);

        // Old: arange(rows, ...), mass.le(0), mass.clamp_min(1e-12), rowOffset.square().
        var (rows, columns) = (images.shape[1], images.shape[2]);
        var rowIndex = arange(rows, dtype: ScalarType.Float32);
        var columnIndex = arange(columns, dtype: ScalarType.Float32);
        var rowMass = images.sum(2);
        var columnMass = images.sum(1);
        var mass = rowMass.sum(1);
        var blank = mass.le(0);
        var safeMass = mass.clamp_min(1e-12);
        var centreRow = where(blank, rows / 2.0f, (rowMass * rowIndex).sum(1).div_(safeMass));
        var centreColumn = where(blank, columns / 2.0f, (columnMass * columnIndex).sum(1).div_(safeMass));
        var rowOffset = rowIndex - centreRow.unsqueeze(1);
        var columnOffset = columnIndex - centreColumn.unsqueeze(1);
        var rowVariance = (rowMass * rowOffset.square()).sum(1).div_(safeMass);
        var covariance = ((images * columnOffset.unsqueeze(1)).sum(2) * rowOffset).sum(1).div_(safeMass);

        AssertEqual(centreRow, actual.CentreRow, "centre row");
        AssertEqual(centreColumn, actual.CentreColumn, "centre column");
        AssertEqual(rowVariance, actual.RowVariance, "row variance");
        AssertEqual(covariance, actual.Covariance, "covariance");
    }

    public static TheoryData<double, double, bool> SgdConfigurations => new()
    {
        { 0, 0, false },
        { 0, 1e-2, false },
        { 0.9, 1e-2, false },
        { 0.9, 1e-2, true },
    };

    [Theory]
    [MemberData(nameof(SgdConfigurations))]
    public void The_fused_sgd_step_updates_as_before(double momentum, double weightDecay, bool nesterov)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var pixels = randint(0, 256, [45, 30], dtype: ScalarType.Float32, generator: generator);
        var targets = randint(0, 4, [45], dtype: ScalarType.Int64, generator: generator);
        using var model = nn.Linear(30, 4);
        using var affine = AffineGradient.TryCreate(model, 30, 4)!;
        using var sgd = new AffineSgd(affine, momentum, weightDecay, nesterov);
        var logLikelihoods = zeros(1, 20, dtype: ScalarType.Float64);
        // The old step's own copies of the state.
        var weight = affine.Weight.detach().clone();
        var bias = affine.Bias.detach().clone();
        var weightBuffer = momentum != 0 ? zeros_like(weight) : null;
        var biasBuffer = momentum != 0 ? zeros_like(bias) : null;
        var oldLogLikelihoods = zeros(1, 20, dtype: ScalarType.Float64);
        using var noGrad = no_grad();
        for (int start = 0, step = 0; start < 45; start += 20, step++)
        {
            var length = Math.Min(20, 45 - start);
            var batch = pixels.narrow(0, start, length);
            var targetRow = targets.narrow(0, start, length).unsqueeze(0);
            var rate = 0.05 * (step + 1);
            sgd.Step(batch, targetRow, 1f / 255, rate, logLikelihoods);
            OldStep(batch, targetRow, 1f / 255, rate, oldLogLikelihoods);
            AssertEqual(weight, affine.Weight, $"weight after step {step + 1}");
            AssertEqual(bias, affine.Bias, $"bias after step {step + 1}");
            if (weightBuffer is not null)
            {
                AssertEqual(weightBuffer, sgd.WeightBuffer!, $"weight buffer after step {step + 1}");
                AssertEqual(biasBuffer!, sgd.BiasBuffer!, $"bias buffer after step {step + 1}");
            }

            AssertEqual(oldLogLikelihoods, logLikelihoods, $"log-likelihoods after step {step + 1}");
        }

        // AffineSgd.Step before the change, with its state in the locals above.
        void OldStep(Tensor batch, Tensor targetRow, float scale, double learningRate, Tensor sumsOfAll)
        {
            var count = batch.shape[0];
            var logitsT = addmm(bias.unsqueeze(1), weight, batch.t(), beta: 1f, alpha: scale);
            var logProbabilities = logitsT.log_softmax(0);
            var sums = sumsOfAll.shape[1] == count ? sumsOfAll : sumsOfAll.narrow(1, 0, count);
            sums.add_(logProbabilities.gather(0, targetRow));
            var delta = logProbabilities.exp_().scatter_add_(0, targetRow, full(1, count, -1f));
            var ones = torch.ones(count);
            var gemmScale = scale / count;
            var rowScale = 1f / count;
            var rate = (float)learningRate;
            var decay = (float)weightDecay;
            var factor = (float)momentum;
            if (weightBuffer is null)
            {
                var keep = 1 - (rate * decay);
                weight.addmm_(delta, batch, beta: keep, alpha: -rate * gemmScale);
                bias.addmv_(delta, ones, beta: keep, alpha: -rate * rowScale);
                return;
            }

            if (!nesterov)
            {
                weightBuffer.addmm_(delta, batch, beta: factor, alpha: gemmScale);
                biasBuffer!.addmv_(delta, ones, beta: factor, alpha: rowScale);
                if (weightDecay != 0)
                {
                    weightBuffer.add_(weight, alpha: weightDecay);
                    biasBuffer.add_(bias, alpha: weightDecay);
                }

                weight.add_(weightBuffer, alpha: -learningRate);
                bias.add_(biasBuffer, alpha: -learningRate);
                return;
            }

            var weightGradient = addmm(weight, delta, batch, beta: decay, alpha: gemmScale);
            var biasGradient = addmv(bias, delta, ones, beta: decay, alpha: rowScale);
            weightBuffer.mul_(factor).add_(weightGradient);
            biasBuffer!.mul_(factor).add_(biasGradient);
            weight.add_(weightGradient, alpha: -learningRate).add_(weightBuffer, alpha: -learningRate * momentum);
            bias.add_(biasGradient, alpha: -learningRate).add_(biasBuffer, alpha: -learningRate * momentum);
        }
    }

    [Fact]
    public void The_gradients_and_losses_are_as_before()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(21);
        var pixels = randint(0, 256, [37, 12], dtype: ScalarType.Float32, generator: generator);
        var targets = randint(0, 3, [37], dtype: ScalarType.Int64, generator: generator);
        using var model = nn.Linear(12, 3);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var affine = AffineGradient.TryCreate(model, 12, 3)!;

        // AffineGradient.Compute: old delta ... .mul_(1f / count) and MinusOnes' full(1, count, -1f).
        var loss = affine.Compute(pixels, targets, 1f / 255);
        var weightGradient = model.weight!.grad!.clone();
        var biasGradient = model.bias!.grad!.clone();
        using (no_grad())
        {
            var logitsT = addmm(model.bias!.unsqueeze(1), model.weight!, pixels.t(), beta: 1f, alpha: 1f / 255);
            var logProbabilities = logitsT.log_softmax(0);
            var targetRow = targets.unsqueeze(0);
            var oldLoss = logProbabilities.gather(0, targetRow).sum().neg_();
            var delta = logProbabilities.exp_().scatter_add_(0, targetRow, full(1, 37, -1f)).mul_(1f / 37);
            AssertEqual(oldLoss, loss, "fast path loss");
            AssertEqual(delta.sum(1), biasGradient, "fast path bias gradient");
            AssertEqual(addmm(zeros(1), delta, pixels, beta: 0f, alpha: 1f / 255), weightGradient, "fast path weight gradient");
        }

        // AutogradGradient.Compute: old loss.detach().to_type(Float64).mul_(inputs.shape[0]).
        var inputs = pixels.div(255f);
        var summed = new AutogradGradient(model, optimizer).Compute(inputs, targets);
        using (no_grad())
        {
            var mean = nn.functional.cross_entropy(model.forward(inputs), targets);
            AssertEqual(mean.to_type(ScalarType.Float64).mul_(inputs.shape[0]), summed, "autograd summed loss");
        }
    }

    [Fact]
    public void The_full_batch_gradient_is_as_before()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(22);
        var split = new DataSplit(randint(0, 256, [50, 1, 3, 4], dtype: ScalarType.Byte, generator: generator), randint(0, 3, [50], dtype: ScalarType.Int64, generator: generator));
        var settings = new ExperimentSettings { InputSize = 12, NumClasses = 3, Epochs = 1, BatchSize = 10, LearningRate = 0.1 };
        using var inputs = TrainingInputs.Prepare(split, settings, cacheFloats: false, 255, "test");
        using var model = nn.Linear(12, 3);
        using var affine = AffineGradient.TryCreate(model, 12, 3)!;

        var meanLoss = affine.ComputeFullBatch(inputs, 20);

        // Old: gradWeight.add_(delta.mm(x)), gradBias.add_(delta.sum(1)), then div_(count) with the int count.
        using var noGrad = no_grad();
        var gradWeight = zeros_like(model.weight!);
        var gradBias = zeros_like(model.bias!);
        var lossSum = zeros(1, dtype: ScalarType.Float64);
        inputs.ForEachChunk(20, (x, y) =>
        {
            var logProbabilities = addmm(model.bias!.unsqueeze(1), model.weight!, x.t(), 1f, 1f).log_softmax(0);
            var targetRow = y.unsqueeze(0);
            lossSum.sub_(logProbabilities.gather(0, targetRow).sum(ScalarType.Float64));
            var delta = logProbabilities.exp_().scatter_add_(0, targetRow, full(1, x.shape[0], -1f));
            gradWeight.add_(delta.mm(x));
            gradBias.add_(delta.sum(1));
        });
        var count = inputs.Count;
        AssertEqual(gradWeight.div_(count), model.weight!.grad!, "weight gradient");
        AssertEqual(gradBias.div_(count), model.bias!.grad!, "bias gradient");
        AssertEqual(lossSum.div_(count).squeeze(), meanLoss, "mean loss");
    }

    [Fact]
    public void Evaluation_counts_and_sums_as_before()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(23);
        var inputs = rand(70, 6, generator: generator);
        var labels = randint(0, 4, [70], dtype: ScalarType.Int64, generator: generator);
        using var model = nn.Linear(6, 4);

        var evaluation = Evaluator.Evaluate(model, inputs, labels, 4, chunkSize: 30);

        // Old: lossSum.add_(cross_entropy(...)); confusion.add_(bincount(targets * numClasses + predictions, ...)).
        using var noGrad = no_grad();
        var lossSum = zeros(1, dtype: ScalarType.Float64);
        var confusion = zeros(16, dtype: ScalarType.Int64);
        for (var start = 0; start < 70; start += 30)
        {
            var length = Math.Min(30, 70 - start);
            var targets = labels.narrow(0, start, length);
            var outputs = model.forward(inputs.narrow(0, start, length));
            lossSum.add_(nn.functional.cross_entropy(outputs, targets, reduction: nn.Reduction.Sum));
            confusion.add_(bincount(targets * 4 + outputs.argmax(1), minlength: 16));
        }

        Assert.Equal(lossSum.item<double>() / 70, evaluation.Loss);
        var counts = confusion.data<long>().ToArray();
        Assert.Equal(counts, evaluation.ConfusionMatrix.SelectMany(row => row).ToArray());
        Assert.Contains(counts, c => c > 0);
    }

    [Fact]
    public void Standardization_statistics_and_features_are_as_before()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(24);
        var pixels = randint(0, 256, [25_000, 1, 2, 3], dtype: ScalarType.Byte, generator: generator);
        pixels.narrow(2, 0, 1).narrow(3, 0, 1).fill_(7); // a constant pixel: standard deviation 1
        var split = new DataSplit(pixels, randint(0, 3, [25_000], dtype: ScalarType.Int64, generator: generator));
        var settings = new ExperimentSettings { InputSize = 6, NumClasses = 3, Epochs = 1, BatchSize = 10, LearningRate = 0.1, Normalize = InputNormalization.Standardize };
        using var inputs = TrainingInputs.Prepare(split, settings, cacheFloats: false, 255, "test");
        var transform = inputs.Transform([1, 2, 3]);

        // Old PixelStatistics: chunks of 10,000 rows divided by the double divisor, add_ without alpha, square(),
        // div(count) with the long count, clamp_min_(0), where(std.gt(1e-8), std, 1.0).
        var flat = pixels.reshape(25_000, -1);
        var count = flat.shape[0];
        var sum = zeros(6, dtype: ScalarType.Float64);
        var sumOfSquares = zeros(6, dtype: ScalarType.Float64);
        for (long start = 0; start < count; start += 10_000)
        {
            var values = flat.narrow(0, start, Math.Min(10_000, count - start)).to_type(ScalarType.Float64).div_(255.0);
            sum.add_(values.sum(dim: 0));
            sumOfSquares.add_(values.square().sum(dim: 0));
        }

        var mean = sum.div(count);
        var std = sumOfSquares.div(count).sub_(mean.square()).clamp_min_(0).sqrt_();
        std = where(std.gt(1e-8), std, 1.0);
        Assert.Equal(mean.to_type(ScalarType.Float32).data<float>().ToArray(), transform.Mean);
        Assert.Equal(std.to_type(ScalarType.Float32).data<float>().ToArray(), transform.Std);
        Assert.Equal(1f, transform.Std![0]);

        // ToFeatures: old flatPixels.to_type(Float32).div_(divisor) with the float divisor, then sub_(mean).div_(std).
        var expected = flat.to_type(ScalarType.Float32).div_(255f).sub_(mean.to_type(ScalarType.Float32)).div_(std.to_type(ScalarType.Float32));
        AssertEqual(expected.index_select(0, arange(0, 100, dtype: ScalarType.Int64)), inputs.Gather(arange(0, 100, dtype: ScalarType.Int64)), "standardized features");
    }

    private sealed record Rewrite(Func<Tensor, Tensor, Tensor> Old, Func<Tensor, Tensor, Tensor> New, bool Integers = true);

    private static void AssertEqual(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.Equals(actual), $"{what} differs");
    }
}
