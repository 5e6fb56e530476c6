using Experiments.Data;
using Experiments.Models;
using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// A small CNN for colour images [3, 8, 8]: it reshapes the flat inputs [n, 192] back to [n, 3, 8, 8], as a
/// generated convolutional model does.
/// </summary>
internal sealed class RgbCnn : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Conv2d conv1;
    private readonly TorchSharp.Modules.Linear fc1;

    public RgbCnn()
        : base(nameof(RgbCnn))
    {
        conv1 = nn.Conv2d(3, 4, 3, padding: 1);
        fc1 = nn.Linear(4 * 8 * 8, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => fc1.call(nn.functional.relu(conv1.call(input.view(-1, 3, 8, 8))).flatten(1));
}

/// <summary>An experiment on any dataset with any model, trained by the trainer.</summary>
internal sealed class AnyDatasetExperiment(string dataset, ExperimentSettings settings, Func<nn.Module<Tensor, Tensor>>? create = null, ModelKind kind = ModelKind.Linear) : IExperiment
{
    public string Name => "shape-test";

    public string Description => "test";

    public string SourceFile => "test.yaml";

    public string Dataset => dataset;

    public ExperimentSettings Settings => settings;

    public ModelSummary Architecture => new(kind, kind.ToString(), [settings.InputSize], [], -1);

    public nn.Module<Tensor, Tensor> CreateModel() => create?.Invoke() ?? nn.Linear(settings.InputSize, settings.NumClasses);

    public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
}

/// <summary>
/// Training on examples of any shape and type (issue 11): float32 CSV rows divided by their divisor, colour images
/// through a convolution, and clear errors for the image-only options on data that is not single-channel images.
/// </summary>
public sealed class ExampleShapeTests
{
    private static readonly ExperimentSettings Base = new() { InputSize = 64, NumClasses = 3, Epochs = 8, BatchSize = 20, LearningRate = 0.5 };

    private static DatasetDescription Describe(string name, IReadOnlyList<int> shape, double divisor, DatasetFormat format = DatasetFormat.Csv) => new()
    {
        Name = name,
        Format = format,
        Root = name,
        Shape = shape,
        ClassNames = ["low", "middle", "high"],
        Train = new DatasetSource("train"),
        Test = new DatasetSource("test"),
        InputDivisor = divisor,
    };

    /// <summary>
    /// CSV-like float32 rows [n, 64] with cells 0-16: class k has its high cells (16) in the k-th third of the row,
    /// noise (0-4) elsewhere. Linearly separable.
    /// </summary>
    private static DataSplit CsvSplit(int count, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        var labels = randint(0, 3, [count], dtype: ScalarType.Int64, generator: generator);
        var inputs = rand([count, 64], generator: generator).mul_(4f).floor_();
        for (var i = 0; i < count; i++)
        {
            var label = (int)labels[i].item<long>();
            inputs[i].narrow(0, label * 21, 21).fill_(16f);
        }

        return new DataSplit(inputs.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>Colour images uint8 [n, 3, 8, 8]: class k is bright in channel k (red, green, blue) and dim in the others.</summary>
    private static DataSplit RgbSplit(int count, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        var labels = randint(0, 3, [count], dtype: ScalarType.Int64, generator: generator);
        var inputs = randint(0, 80, [count, 3, 8, 8], dtype: ScalarType.Byte, generator: generator);
        for (var i = 0; i < count; i++)
        {
            var label = (int)labels[i].item<long>();
            inputs[i][label].add_(160);
        }

        return new DataSplit(inputs.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    private static Dataset Csv(double divisor = 16) => new(Describe("csv-test", [64], divisor), CsvSplit(300, 1), CsvSplit(90, 2), "csv");

    private static Dataset Rgb() => new(Describe("rgb-test", [3, 8, 8], 255, DatasetFormat.Images), RgbSplit(300, 3), RgbSplit(90, 4), "rgb");

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void Float_csv_rows_train_through_the_fast_path_and_report_the_datasets_class_names()
    {
        using var data = Csv();
        using var before = data.Train.Inputs.clone();
        var result = new AnyDatasetExperiment("csv-test", Base).Run(new ExperimentContext(data));

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.InRange(result.Test!.Accuracy, 95, 100);
        Assert.Equal(["low", "middle", "high"], result.ClassNames);
        Assert.Equal(90, result.Test.Count);
        // The dataset is shared by every experiment: training divided copies, not its cells.
        Assert.True(Same(before, data.Train.Inputs));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float_inputs_are_divided_by_the_divisor_cached_or_gathered(bool cacheFloats)
    {
        using var data = Csv(divisor: 16);
        using var inputs = TrainingInputs.Prepare(data, Base, cacheFloats);
        using var scope = NewDisposeScope();
        var indices = tensor(new long[] { 5, 0, 299 });
        var expected = data.Train.Inputs.index_select(0, indices).div(16f);

        Assert.Equal(cacheFloats, inputs.HasFloatCache);
        Assert.True(Same(inputs.Gather(indices), expected));
        var (batch, scale) = inputs.GatherScaled(indices);
        if (cacheFloats)
        {
            Assert.Equal(1f, scale);
            Assert.True(Same(batch, expected));
        }
        else
        {
            // The fast path: the raw cells (0-16) and the scale 1/16 folded into its matrix products.
            Assert.Equal(1f / 16, scale);
            Assert.True(Same(batch, data.Train.Inputs.index_select(0, indices)));
        }

        Assert.True(Same(inputs.TransformImages(data.Test.Inputs.narrow(0, 0, 4)), data.Test.Inputs.narrow(0, 0, 4).div(16f)));
        Assert.True(data.Train.Inputs.max().item<float>() == 16f, "the dataset's own cells are not divided");
    }

    [Fact]
    public void Uint8_pixels_with_another_divisor_are_divided_by_it()
    {
        using var data = new Dataset(Describe("rgb-test", [3, 8, 8], 240, DatasetFormat.Images), RgbSplit(50, 5), RgbSplit(10, 6), "rgb");
        using var inputs = TrainingInputs.Prepare(data, Base with { InputSize = 192 }, cacheFloats: true);
        using var scope = NewDisposeScope();

        Assert.True(Same(inputs.AllFeatures!, data.Train.Inputs.reshape(50, 192).to_type(ScalarType.Float32).div_(240f)));
        using var pixels = TrainingInputs.Prepare(data, Base with { InputSize = 192 }, cacheFloats: false);
        Assert.Equal(1f / 240, pixels.GatherScaled(tensor(new long[] { 1 })).Scale);
    }

    [Fact]
    public void Standardize_on_float_rows_uses_the_training_portion_only()
    {
        using var data = Csv();
        var settings = Base with { Normalize = InputNormalization.Standardize, ValidationSplit = 0.3 };
        using var inputs = TrainingInputs.Prepare(data, settings, cacheFloats: true);
        using var scope = NewDisposeScope();
        var features = inputs.AllFeatures!;

        Assert.Equal(210, features.shape[0]);
        Assert.Equal(90, inputs.ValidationFeatures!.shape[0]);
        Assert.InRange(features.mean([0]).abs().max().item<float>(), 0, 1e-4);
        Assert.InRange(features.std(0, unbiased: false).sub(1).abs().max().item<float>(), 0, 1e-3);
        // The validation rows get the training rows' transform, so theirs is not exactly 0 and 1.
        Assert.True(inputs.ValidationFeatures.mean([0]).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Colour_images_train_through_a_convolution_that_reshapes_the_flat_inputs()
    {
        using var data = Rgb();
        var settings = Base with { InputSize = 192, Optimizer = OptimizerKind.Adam, LearningRate = 0.01, Epochs = 4 };
        var result = new AnyDatasetExperiment("rgb-test", settings, () => new RgbCnn(), ModelKind.Module).Run(new ExperimentContext(data));

        Assert.True(result.Status == ExperimentStatus.Completed, result.Error ?? result.DivergenceReason);
        Assert.InRange(result.Test!.Accuracy, 95, 100);
        Assert.Null(result.Weights); // a convolution's first matrix is no per-class template
        Assert.Equal([4, 3, 3, 3], result.State!.Entries.First(e => e.IsParameter && e.Shape.Count == 4).Shape);
    }

    [Theory]
    [InlineData("rgb", "deskew: true", "dataset 'rgb-test' has examples of shape [3, 8, 8]")]
    [InlineData("rgb", "augment: shifts", "dataset 'rgb-test' has examples of shape [3, 8, 8]")]
    [InlineData("csv", "deskew: true", "dataset 'csv-test' has examples of shape [64]")]
    [InlineData("csv", "augment: shifts", "dataset 'csv-test' has examples of shape [64]")]
    public void Deskew_and_shifts_on_anything_but_single_channel_images_name_the_dataset_and_its_shape(string which, string option, string message)
    {
        using var data = which == "rgb" ? Rgb() : Csv();
        var settings = (option == "deskew: true" ? Base with { Deskew = true } : Base with { Augment = Augmentation.Shifts }) with { InputSize = data.Train.Features };
        var error = Assert.Throws<ArgumentException>(() => new AnyDatasetExperiment(data.Name, settings).Run(new ExperimentContext(data)));

        Assert.Contains($"{option} needs single-channel images [1, height, width], but {message}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deskew_on_float_images_is_refused_naming_the_dataset()
    {
        using var scope = NewDisposeScope();
        var split = new DataSplit(rand(10, 1, 4, 4), zeros(10, dtype: ScalarType.Int64));
        var error = Assert.Throws<ArgumentException>(() => TrainingInputs.Prepare(split, Base with { InputSize = 16, Deskew = true }, cacheFloats: false, 1, "float-images"));
        Assert.Contains("deskew: true needs uint8 pixel images, but dataset 'float-images' holds Float32 values", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_divisor_that_is_not_a_positive_number_is_refused_naming_the_dataset(double divisor)
    {
        using var data = Csv();
        var error = Assert.Throws<ArgumentException>(() => TrainingInputs.Prepare(data.Train, Base, cacheFloats: false, divisor, "csv-test"));
        Assert.Contains("dataset 'csv-test' has input divisor", error.Message, StringComparison.Ordinal);
        Assert.Contains("must be a positive finite number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_evaluator_divides_float_splits_by_the_divisor()
    {
        using var scope = NewDisposeScope();
        using var model = nn.Linear(2, 2);
        using (no_grad())
        {
            // Logit 0 = x0 - 1, logit 1 = 0: class 0 exactly when the scaled x0 is above 1.
            model.weight!.copy_(tensor(new float[] { 1, 0, 0, 0 }).reshape(2, 2));
            model.bias!.copy_(tensor(new float[] { -1, 0 }));
        }

        var split = new DataSplit(tensor(new float[] { 30, 0, 10, 0 }).reshape(2, 2), tensor(new long[] { 0, 1 }));
        Assert.Equal(100.0, Evaluator.Evaluate(model, split, 2, inputDivisor: 16).Accuracy); // 30/16 > 1 > 10/16
        Assert.Equal(50.0, Evaluator.Evaluate(model, split, 2, inputDivisor: 1).Accuracy); // 10 > 1 too
    }
}
