using Experiments.Data;
using TorchSharp;

namespace Experiments.Core.Tests.Training;

public sealed class SettingsTests
{
    private static readonly ExperimentSettings Minimal = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 1, LearningRate = 0.1 };

    [Fact]
    public void The_defaults_are_the_behaviour_of_the_first_experiments()
    {
        Assert.Equal(OptimizerKind.Sgd, Minimal.Optimizer);
        Assert.False(Minimal.Nesterov);
        Assert.Equal(0, Minimal.WeightDecay);
        Assert.Equal(LearningRateSchedule.Constant, Minimal.LrSchedule);
        Assert.Equal(InputNormalization.None, Minimal.Normalize);
        Assert.Equal(0, Minimal.ValidationSplit);
        Assert.Equal(0, Minimal.EarlyStoppingPatience);
        Assert.Equal(Augmentation.None, Minimal.Augment);
        Assert.False(Minimal.Deskew);
        Minimal.Validate();
    }

    [Fact]
    public void Optimizer_momentum_without_a_momentum_takes_the_default_as_in_yaml()
    {
        var settings = Minimal with { Optimizer = OptimizerKind.Momentum };

        Assert.Equal(ExperimentSettings.DefaultMomentum, settings.Momentum);
        settings.Validate();
        Assert.Equal(settings, Minimal with { Optimizer = OptimizerKind.Momentum, Momentum = 0.9 });
        Assert.Equal(settings.GetHashCode(), (Minimal with { Optimizer = OptimizerKind.Momentum, Momentum = 0.9 }).GetHashCode());

        // Set, it is what was set: 0 with optimizer 'momentum' is still refused, as in YAML.
        Assert.Equal(0.5, (settings with { Momentum = 0.5 }).Momentum);
        Assert.Throws<ArgumentException>(() => (settings with { Momentum = 0 }).Validate());
        Assert.Equal(0, (settings with { Optimizer = OptimizerKind.Sgd }).Momentum);
    }

    [Fact]
    public void Named_values_list_every_setting_once_in_camel_case()
    {
        var names = Minimal.ToNamedValues().Select(p => p.Key).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(typeof(ExperimentSettings).GetProperties().Length, names.Count);
        foreach (var property in typeof(ExperimentSettings).GetProperties())
        {
            Assert.Contains(char.ToLowerInvariant(property.Name[0]) + property.Name[1..], names);
        }
    }

    [Fact]
    public void Booleans_and_words_are_formatted_for_yaml_and_json()
    {
        var values = (Minimal with { Deskew = true, Augment = Augmentation.Shifts, LrSchedule = LearningRateSchedule.Cosine }).ToNamedValues()
            .ToDictionary(p => p.Key, p => ExperimentSettings.Format(p.Value), StringComparer.Ordinal);
        Assert.Equal("true", values["deskew"]);
        Assert.Equal("false", values["nesterov"]);
        Assert.Equal("shifts", values["augment"]);
        Assert.Equal("cosine", values["lrSchedule"]);
    }

    public static TheoryData<string, ExperimentSettings> Invalid => new()
    {
        { "nesterov needs momentum", Minimal with { Nesterov = true } },
        { "earlyStoppingPatience needs validationSplit", Minimal with { EarlyStoppingPatience = 2 } },
        { "validationSplit must be in [0, 1)", Minimal with { ValidationSplit = 1 } },
        { "weightDecay must be a number", Minimal with { WeightDecay = -1e-4 } },
        { "momentum applies to 'sgd' and 'momentum' only", Minimal with { Optimizer = OptimizerKind.Adam, Momentum = 0.9 } },
        { "optimizer 'momentum' needs momentum > 0", Minimal with { Optimizer = OptimizerKind.Momentum, Momentum = 0 } },
        { "lrStepGamma must be in (0, 1]", Minimal with { LrStepGamma = 0 } },
        { "lrStepEpochs must be at least 1", Minimal with { LrStepEpochs = 0 } },
        { "learningRate must be a positive number", Minimal with { LearningRate = double.NaN } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Broken_rules_are_refused_naming_the_key(string message, ExperimentSettings settings)
    {
        var error = Assert.Throws<ArgumentException>(settings.Validate);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trainer_refuses_invalid_settings_before_training()
    {
        using var data = new Dataset(
            Experiments.Generated.DatasetCatalog.Mnist with { Shape = [1, 2, 2], ClassNames = ["a", "b"] },
            new DataSplit(torch.zeros(4, 1, 2, 2, dtype: torch.ScalarType.Byte), torch.zeros(4, dtype: torch.ScalarType.Int64)),
            new DataSplit(torch.zeros(2, 1, 2, 2, dtype: torch.ScalarType.Byte), torch.zeros(2, dtype: torch.ScalarType.Int64)),
            "test");
        var settings = new ExperimentSettings { InputSize = 4, NumClasses = 2, Epochs = 1, BatchSize = 2, LearningRate = 0.1, Nesterov = true };
        var error = Assert.Throws<ArgumentException>(() => new TestExperiment(settings).Run(new ExperimentContext(data)));
        Assert.Contains("nesterov", error.Message, StringComparison.Ordinal);
    }
}
