using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Tests;

/// <summary>The training keys of issue 4: typed constants, settings, and the rules that tie them together.</summary>
public sealed class TrainingKeysTests
{
    [Fact]
    public void Every_training_key_becomes_a_typed_constant_and_a_setting()
    {
        const string Keys = """
            optimizer: momentum
            nesterov: true
            weightDecay: 0.0001
            lrSchedule: step
            lrStepEpochs: 3
            lrStepGamma: 0.5
            normalize: standardize
            validationSplit: 0.1
            earlyStoppingPatience: 2
            augment: shifts
            deskew: true
            device: cuda
            """;
        var run = GeneratorHarness.Run(GeneratorHarness.File("all-keys.yaml", GeneratorHarness.ValidYaml + Keys + "\n"));
        run.AssertCompilesClean();

        var source = run.Source("AllKeys.Experiment.g.cs");
        string[] expected =
        [
            "public const bool Nesterov = true;",
            "public const double WeightDecay = 0.0001;",
            "public const LearningRateSchedule LrSchedule = global::Experiments.LearningRateSchedule.Step;",
            "public const int LrStepEpochs = 3;",
            "public const double LrStepGamma = 0.5;",
            "public const InputNormalization Normalize = global::Experiments.InputNormalization.Standardize;",
            "public const double ValidationSplit = 0.1;",
            "public const int EarlyStoppingPatience = 2;",
            "public const Augmentation Augment = global::Experiments.Augmentation.Shifts;",
            "public const bool Deskew = true;",
            "Device = global::Experiments.ComputeDevice.Cuda;",
            "Deskew = Deskew,",
            "EarlyStoppingPatience = EarlyStoppingPatience,",
        ];
        Assert.All(expected, line => Assert.Contains(line, source, StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_keep_the_earlier_behaviour()
    {
        var source = GeneratorHarness.Run(GeneratorHarness.File("plain.yaml", GeneratorHarness.ValidYaml)).Source("Plain.Experiment.g.cs");

        Assert.Contains("public const bool Nesterov = false;", source, StringComparison.Ordinal);
        Assert.Contains("public const double WeightDecay = 0.0;", source, StringComparison.Ordinal);
        Assert.Contains("LrSchedule = global::Experiments.LearningRateSchedule.Constant;", source, StringComparison.Ordinal);
        Assert.Contains("public const double ValidationSplit = 0.0;", source, StringComparison.Ordinal);
        Assert.Contains("Augment = global::Experiments.Augmentation.None;", source, StringComparison.Ordinal);
        Assert.Contains("public const bool Deskew = false;", source, StringComparison.Ordinal);
        Assert.Contains("Device = global::Experiments.ComputeDevice.Cpu;", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Adamw_and_onecycle_map_to_the_runtimes_spelling()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("w.yaml", GeneratorHarness.ValidYaml + "optimizer: adamw\nweightDecay: 0.01\nlrSchedule: onecycle\n"));
        run.AssertCompilesClean();

        var source = run.Source("W.Experiment.g.cs");
        Assert.Contains("global::Experiments.OptimizerKind.AdamW", source, StringComparison.Ordinal);
        Assert.Contains("global::Experiments.LearningRateSchedule.OneCycle", source, StringComparison.Ordinal);
        Assert.Contains("public const double Momentum = 0.0;", source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("optimizer: adam\nmomentum: 0.9", "momentum", "momentum must be 0 with optimizer 'adam' (momentum applies to 'sgd' and 'momentum' only), but is '0.9'")]
    [InlineData("optimizer: adamw\nmomentum: 0.9", "momentum", "momentum must be 0 with optimizer 'adamw' (momentum applies to 'sgd' and 'momentum' only), but is '0.9'")]
    [InlineData("optimizer: lbfgs\nmomentum: 0.5", "momentum", "momentum must be 0 with optimizer 'lbfgs' (momentum applies to 'sgd' and 'momentum' only), but is '0.5'")]
    [InlineData("nesterov: true", "nesterov", "nesterov must be false unless momentum is greater than 0 (use 'optimizer: momentum'), but is 'true'")]
    [InlineData("earlyStoppingPatience: 3", "earlyStoppingPatience", "earlyStoppingPatience must be 0 unless validationSplit is set (early stopping watches the validation loss), but is '3'")]
    public void Rules_between_keys_are_errors_at_the_key_that_breaks_them(string lines, string key, string message)
    {
        var text = GeneratorHarness.ValidYaml + lines + "\n";
        var diagnostic = Assert.Single(GeneratorHarness.Run(GeneratorHarness.File("bad.yaml", text)).AssertGeneratorDidNotThrow());

        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage());
        var line = text.Split('\n').ToList().FindIndex(l => l.StartsWith(key + ":", StringComparison.Ordinal)) + 1;
        DiagnosticTests.AssertAt(diagnostic, "bad.yaml", line: line, column: key.Length + 3);
    }

    [Theory]
    [InlineData("nesterov: yes", "nesterov must be true or false, but is 'yes'")]
    [InlineData("nesterov: \"true\"", "nesterov must be true or false, but is the quoted text 'true'")]
    [InlineData("lrStepGamma: 0", "lrStepGamma must be a number from 0 (exclusive) to 1, but is '0'")]
    [InlineData("validationSplit: 1", "validationSplit must be a number from 0 to 1 (exclusive), but is '1'")]
    [InlineData("device: metal", "device must be one of 'cpu', 'cuda', but is 'metal'")]
    [InlineData("optimizer: adamW", "optimizer must be one of 'sgd', 'momentum', 'adam', 'adamw', 'lbfgs', but is 'adamW' (did you mean 'adamw'?)")]
    [InlineData("lrSchedule: cosin", "lrSchedule must be one of 'constant', 'cosine', 'step', 'onecycle', but is 'cosin' (did you mean 'cosine'?)")]
    public void Bad_values_of_training_keys_say_what_is_allowed(string line, string message)
    {
        var diagnostic = Assert.Single(GeneratorHarness.Run(GeneratorHarness.File("bad.yaml", GeneratorHarness.ValidYaml + line + "\n")).AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage());
    }

    [Fact]
    public void Booleans_and_schedules_sweep()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("grid.yaml", GeneratorHarness.ValidYaml + "sweep:\n  deskew: [false, true]\n  lrSchedule: [constant, cosine]\n"));
        run.AssertCompilesClean();
        Assert.Contains("Grid_DeskewTrue_LrScheduleCosine.Experiment.g.cs", run.HintNames);
        Assert.Contains("\"grid/deskew=true,lrSchedule=cosine\"", run.Source("Grid_DeskewTrue_LrScheduleCosine.Experiment.g.cs"), StringComparison.Ordinal);
    }
}
