using System.Globalization;
using System.Runtime.CompilerServices;
using Experiments.Data;
using Experiments.Preprocessing;
using Experiments.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// The model's inputs for one experiment: the training examples after the validation split, deskewing and
/// augmentation, and the per-value transform to floats (divide by the dataset's <see cref="Dataset.InputDivisor"/>:
/// pixels 0-255 to [0, 1]; then standardize if asked). Built once before the first epoch; mini-batches are then
/// gathered from it.
/// </summary>
/// <remarks>
/// <para>
/// Examples of any shape [n, ...shape] are flattened to [n, d] rows (a convolutional model reshapes them back), and
/// may be uint8 (pixels) or float32 (CSV cells). Deskewing and shift augmentation need single-channel images
/// [1, height, width].
/// </para>
/// <para>
/// The raw values stay one contiguous tensor [n, d] and each mini-batch is a row gather followed by the conversion
/// to floats (about 15 µs for 100 MNIST rows). Converting the whole set to floats once instead costs about 0.1-0.2 s
/// (188 MB of fresh memory for MNIST) and saves about 6 µs per batch of 100: it pays only for long runs, so it is
/// done when asked (<c>cacheFloats</c>: full-batch L-BFGS, which reads every row every epoch, and runs of many
/// epochs) and when the floats fit in <see cref="MaxFloatCacheBytes"/> (five shifted copies of MNIST would take 940 MB).
/// </para>
/// </remarks>
internal sealed class TrainingInputs : IDisposable
{
    /// <summary>Largest float copy of the training inputs kept in memory (bytes).</summary>
    public const long MaxFloatCacheBytes = 256L << 20;

    private readonly Tensor? pixels;   // the raw values, uint8 or float32 [n, d], when there is no float cache
    private readonly Tensor? features; // float32 [n, d], the cache
    private readonly Tensor? mean;     // float32 [d], with standardize
    private readonly Tensor? std;      // float32 [d], with standardize
    private readonly bool deskew;
    private readonly float divisor;    // raw values / divisor = the model's inputs (before standardizing)
    private Tensor? batchBuffer;    // float32 [batch, d], reused by GatherScaled

    private TrainingInputs(Tensor? pixels, Tensor? features, Tensor labels, Tensor? mean, Tensor? std, bool deskew, float divisor, Tensor? validationFeatures, Tensor? validationLabels)
    {
        this.pixels = pixels;
        this.divisor = divisor;
        this.features = features;
        Labels = labels;
        this.mean = mean;
        this.std = std;
        this.deskew = deskew;
        ValidationFeatures = validationFeatures;
        ValidationLabels = validationLabels;
    }

    /// <summary>Training labels, int64 [n].</summary>
    public Tensor Labels { get; }

    public int Count => (int)Labels.shape[0];

    /// <summary>The validation inputs (float32 [v, d], transformed like the test images), or null without a split.</summary>
    public Tensor? ValidationFeatures { get; }

    public Tensor? ValidationLabels { get; }

    /// <summary>Whether the training inputs are kept as floats (see <see cref="MaxFloatCacheBytes"/>).</summary>
    public bool HasFloatCache => features is not null;

    /// <summary>Builds the inputs of <paramref name="settings"/> from <paramref name="data"/>'s training split, scaled by its <see cref="Dataset.InputDivisor"/>.</summary>
    public static TrainingInputs Prepare(Dataset data, ExperimentSettings settings, bool cacheFloats)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Prepare(data.Train, settings, cacheFloats, data.InputDivisor, data.Name);
    }

    /// <summary>Builds the inputs of <paramref name="settings"/> from <paramref name="train"/>.</summary>
    /// <param name="train">The training split: uint8 or float32 examples [n, ...shape].</param>
    /// <param name="settings">The experiment's settings.</param>
    /// <param name="cacheFloats">Whether to keep a float copy of the training inputs (see the remarks).</param>
    /// <param name="inputDivisor">Raw values are divided by this (255: pixels to [0, 1]).</param>
    /// <param name="datasetName">The dataset, as error messages name it.</param>
    public static TrainingInputs Prepare(DataSplit train, ExperimentSettings settings, bool cacheFloats, double inputDivisor, string datasetName)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(datasetName);
        var divisor = CheckDivisor(inputDivisor, datasetName);
        CheckImageOptions(train, settings, datasetName);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = Planes(train.Inputs);
        var labels = train.Labels;
        Tensor? validationImages = null;
        Tensor? validationLabels = null;
        var validationCount = (int)Math.Round(settings.ValidationSplit * train.Count);
        if (settings.ValidationSplit > 0 && validationCount == 0)
        {
            throw new ArgumentException($"validationSplit {ExperimentSettings.Format(settings.ValidationSplit)} holds out no image of {train.Count}; use at least {ExperimentSettings.Format(1.0 / train.Count)}");
        }

        if (validationCount > 0)
        {
            if (validationCount >= train.Count)
            {
                throw new ArgumentException($"validationSplit {ExperimentSettings.Format(settings.ValidationSplit)} leaves no training images out of {train.Count}");
            }

            // Its own generator, so that the split does not change the shuffles or the initial weights.
            using var splitGenerator = new Generator((ulong)settings.Seed ^ 0x5EED5EEDUL);
            var order = randperm(train.Count, generator: splitGenerator);
            var validationIndices = order.narrow(0, 0, validationCount);
            var trainIndices = order.narrow(0, validationCount, train.Count - validationCount).sort().Values;
            validationImages = images.index_select(0, validationIndices);
            validationLabels = labels.index_select(0, validationIndices);
            images = images.index_select(0, trainIndices);
            labels = labels.index_select(0, trainIndices);
        }

        if (settings.Deskew)
        {
            images = Preprocessing.Deskew.Apply(images);
            validationImages = validationImages is null ? null : Preprocessing.Deskew.Apply(validationImages);
        }

        if (settings.Augment == Augmentation.Shifts)
        {
            (images, labels) = ImageAugmentation.WithOnePixelShifts(images, labels);
        }

        var count = images.shape[0];
        var flat = images.reshape(count, -1);
        Tensor? mean = null;
        Tensor? std = null;
        if (settings.Normalize == InputNormalization.Standardize)
        {
            (mean, std) = PixelStatistics(flat, inputDivisor);
        }

        var inputs = new TrainingInputs(null, null, labels, mean, std, settings.Deskew, divisor, null, null);
        var cacheBytes = count * flat.shape[1] * sizeof(float);
        var cache = cacheFloats && cacheBytes <= MaxFloatCacheBytes ? inputs.ToFeatures(flat) : null;
        var validation = validationImages is null ? null : inputs.ToFeatures(validationImages.reshape(validationImages.shape[0], -1));
        var result = new TrainingInputs(
            cache is null ? flat.contiguous().MoveToOuterDisposeScope() : null,
            cache?.MoveToOuterDisposeScope(),
            labels.contiguous().MoveToOuterDisposeScope(),
            mean?.MoveToOuterDisposeScope(),
            std?.MoveToOuterDisposeScope(),
            settings.Deskew,
            divisor,
            validation?.MoveToOuterDisposeScope(),
            validationLabels?.MoveToOuterDisposeScope());
        return result;
    }

    /// <summary>The float inputs of the training rows <paramref name="indices"/>: float32 [indices, d].</summary>
    public Tensor Gather(Tensor indices) =>
        features is not null ? features.index_select(0, indices) : ToFeatures(pixels!.index_select(0, indices));

    /// <summary>
    /// The training rows <paramref name="indices"/> as a float32 tensor and the factor that makes them the model's
    /// inputs (inputs = batch × scale). Without standardization the batch is the raw values as floats (pixels 0-255,
    /// or the float32 cells as they are) and the scale 1/divisor (1/255 for pixels), which the fast path folds into its
    /// matrix products instead of dividing every value.
    /// </summary>
    /// <remarks>
    /// The floats go into one buffer kept between calls (the returned tensor is a view of it, valid until the next
    /// call): a fresh 313 KB float tensor per batch of 100 is above glibc's mmap threshold, and measured here the
    /// gather with a fresh tensor took 20-40 µs against about 10 µs into the kept buffer.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    public (Tensor Batch, float Scale) GatherScaled(Tensor indices)
    {
        if (features is not null || mean is not null)
        {
            return (Gather(indices), 1f);
        }

        var count = indices.shape[0];
        if (batchBuffer is null || batchBuffer.shape[0] < count)
        {
            batchBuffer?.Dispose();
            batchBuffer = empty(count, pixels!.shape[1], dtype: ScalarType.Float32).DetachFromDisposeScope();
        }

        var batch = batchBuffer.shape[0] == count ? batchBuffer : batchBuffer.narrow(0, 0, count);
        using (var rows = pixels!.index_select(0, indices))
        {
            batch.copy_(rows);
        }

        return (batch, 1f / divisor);
    }

    /// <summary>
    /// Calls <paramref name="action"/> with consecutive chunks of the training inputs (float32) and their labels, in
    /// order, each inside its own dispose scope.
    /// </summary>
    public void ForEachChunk(int chunkSize, Action<Tensor, Tensor> action)
    {
        for (var start = 0; start < Count; start += chunkSize)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(chunkSize, Count - start);
            var chunk = features is not null ? features.narrow(0, start, length) : ToFeatures(pixels!.narrow(0, start, length));
            action(chunk, Labels.narrow(0, start, length));
        }
    }

    /// <summary>The whole training set as one float32 tensor, when it is cached (else null).</summary>
    public Tensor? AllFeatures => features;

    /// <summary>
    /// The transform from raw examples to the model's inputs, with the statistics measured on the training portion,
    /// as a checkpoint keeps it (<see cref="Checkpoints.InputTransform.Apply"/> computes what <see cref="TransformImages"/> does).
    /// </summary>
    public Checkpoints.InputTransform Transform(IReadOnlyList<int> exampleShape)
    {
        ArgumentNullException.ThrowIfNull(exampleShape);
        return new Checkpoints.InputTransform(
            exampleShape.ToArray(),
            divisor,
            deskew,
            mean is null ? null : mean.data<float>().ToArray(),
            std is null ? null : std.data<float>().ToArray());
    }

    /// <summary>Transforms examples of another split (the test set, uint8 or float32 [n, ...shape]) exactly as the validation examples: float32 [n, d].</summary>
    public Tensor TransformImages(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var planes = Planes(images);
        var source = deskew ? Preprocessing.Deskew.Apply(planes) : planes;
        return ToFeatures(source.reshape(source.shape[0], -1)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        batchBuffer?.Dispose();
        pixels?.Dispose();
        features?.Dispose();
        Labels.Dispose();
        mean?.Dispose();
        std?.Dispose();
        ValidationFeatures?.Dispose();
        ValidationLabels?.Dispose();
    }

    /// <summary>Single-channel images [n, 1, h, w] as the planes [n, h, w] deskewing and shifting work on (a view); other inputs as they are.</summary>
    private static Tensor Planes(Tensor inputs) =>
        inputs.dim() == 4 && inputs.shape[1] == 1 ? inputs.reshape(inputs.shape[0], inputs.shape[2], inputs.shape[3]) : inputs;

    /// <summary>
    /// Raw values [n, d] to the model's float inputs: divided by the divisor (pixels by 255, as torchvision's
    /// ToTensor), then standardized. Float32 values are divided into a new tensor: the dataset's stay as they are.
    /// </summary>
    private Tensor ToFeatures(Tensor flatPixels)
    {
        using var divideBy = divisor.ToScalar();
        var result = flatPixels.dtype == ScalarType.Float32 ? flatPixels.div(divideBy) : flatPixels.to_type(ScalarType.Float32).div_(divideBy);
        if (mean is not null)
        {
            result.sub_(mean).div_(std!);
        }

        return result;
    }

    /// <summary>Per-value mean and standard deviation of the scaled values (pixels in [0, 1]); a constant value gets a divisor of 1.</summary>
    private static (Tensor Mean, Tensor Std) PixelStatistics(Tensor flatPixels, double inputDivisor)
    {
        var count = flatPixels.shape[0];
        var sum = zeros(flatPixels.shape[1], dtype: ScalarType.Float64);
        var sumOfSquares = zeros(flatPixels.shape[1], dtype: ScalarType.Float64);
        // The numbers of the calls below, held until they return (see Torch/Scalars.cs); square() is pow(2).
        using var divideBy = inputDivisor.ToScalar();
        using var two = 2.ToScalar();
        using var countScalar = count.ToScalar();
        using var constantThreshold = 1e-8.ToScalar();
        const int chunk = 10_000;
        for (long start = 0; start < count; start += chunk)
        {
            using var scope = NewDisposeScope();
            var values = flatPixels.narrow(0, start, Math.Min(chunk, count - start)).to_type(ScalarType.Float64).div_(divideBy);
            sum.add_(values.sum(dim: 0), alpha: Scalars.One);
            sumOfSquares.add_(values.pow(two).sum(dim: 0), alpha: Scalars.One);
        }

        var mean = sum.div(countScalar);
        var variance = sumOfSquares.div(countScalar).sub_(mean.pow(two)).clamp_min_(Scalars.Zero);
        var std = variance.sqrt_();
        std = where(std.gt(constantThreshold), std, 1.0);
        return (mean.to_type(ScalarType.Float32), std.to_type(ScalarType.Float32));
    }

    /// <summary>The divisor as the float the transform divides by; throws naming the dataset when it is not a positive finite number.</summary>
    internal static float CheckDivisor(double inputDivisor, string datasetName)
    {
        var divisor = (float)inputDivisor;
        if (!double.IsFinite(inputDivisor) || !(inputDivisor > 0) || !float.IsFinite(divisor) || divisor == 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"dataset '{datasetName}' has input divisor {inputDivisor}: raw values are divided by it, so it must be a positive finite number (255 for pixels)"));
        }

        return divisor;
    }

    /// <summary>Deskewing and shift augmentation work on single-channel images: throws naming the dataset and its example shape otherwise.</summary>
    private static void CheckImageOptions(DataSplit train, ExperimentSettings settings, string datasetName)
    {
        var shape = train.ExampleShape;
        var singleChannel = shape.Count == 3 && shape[0] == 1;
        var shown = "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
        foreach (var (asked, option) in new[] { (settings.Deskew, "deskew: true"), (settings.Augment == Augmentation.Shifts, "augment: shifts") })
        {
            if (asked && !singleChannel)
            {
                throw new ArgumentException($"{option} needs single-channel images [1, height, width], but dataset '{datasetName}' has examples of shape {shown}");
            }
        }

        if (settings.Deskew && train.Inputs.dtype != ScalarType.Byte)
        {
            throw new ArgumentException($"deskew: true needs uint8 pixel images, but dataset '{datasetName}' holds {train.Inputs.dtype} values");
        }
    }
}
