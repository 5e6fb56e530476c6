using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Tests;

/// <summary>The <c>sweep</c> block sweeps keys: one strongly-typed experiment per combination.</summary>
public sealed class SweepTests
{
    private const string Sweep = "sweep:\n  learningRate: [0.001, 0.01, 0.1]\n  batchSize: [100, 1000]\n";

    private static string Base(params string[] without) =>
        string.Join("\n", GeneratorHarness.ValidLines.Where(l => !without.Any(w => l.StartsWith(w + ":", StringComparison.Ordinal)))) + "\n";

    [Fact]
    public void A_sweep_expands_to_the_cartesian_product_with_readable_names_in_order()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("lr-sweep.yaml", Base("learningRate", "batchSize") + Sweep));
        run.AssertCompilesClean();

        var names = Catalog(run);
        Assert.Equal(
            [
                "LrSweep_LearningRate0p001_BatchSize100", "LrSweep_LearningRate0p001_BatchSize1000",
                "LrSweep_LearningRate0p01_BatchSize100", "LrSweep_LearningRate0p01_BatchSize1000",
                "LrSweep_LearningRate0p1_BatchSize100", "LrSweep_LearningRate0p1_BatchSize1000",
            ],
            names);
        var source = run.Source("LrSweep_LearningRate0p01_BatchSize1000.Experiment.g.cs");
        Assert.Contains(": base(\"lr-sweep/learningRate=0.01,batchSize=1000\", ", source, StringComparison.Ordinal);
        Assert.Contains("public const double LearningRate = 0.01;", source, StringComparison.Ordinal);
        Assert.Contains("public const int BatchSize = 1000;", source, StringComparison.Ordinal);

        // What the members share is written once: the other keys, and the base class with the sweep's name.
        Assert.DoesNotContain("Epochs", source, StringComparison.Ordinal);
        var shared = run.Source("LrSweep.Sweep.g.cs");
        Assert.Contains("public string? Sweep => \"lr-sweep\";", shared, StringComparison.Ordinal);
        Assert.Contains("public const int Epochs = 5;", shared, StringComparison.Ordinal);
        Assert.DoesNotContain("public const double LearningRate", shared, StringComparison.Ordinal);
    }

    [Fact]
    public void Swept_values_are_canonical_so_names_do_not_depend_on_spelling()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("s.yaml", Base("learningRate") + "sweep: {learningRate: [1e-5, 2.50]}\n"));
        run.AssertCompilesClean();

        Assert.Equal(["S_LearningRate1Em05", "S_LearningRate2p5"], Catalog(run));
        Assert.Contains("\"s/learningRate=1E-05\"", run.Source("S_LearningRate1Em05.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void Choices_and_block_lists_sweep_too()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("opt.yaml", Base() + "sweep:\n  optimizer:\n    - sgd\n    - momentum\n"));
        run.AssertCompilesClean();

        Assert.Equal(["Opt_OptimizerSgd", "Opt_OptimizerMomentum"], Catalog(run));
        var momentum = run.Source("Opt_OptimizerMomentum.Experiment.g.cs");
        Assert.Contains("public const double Momentum = 0.9;", momentum, StringComparison.Ordinal);
        Assert.Contains("public const double Momentum = 0.0;", run.Source("Opt_OptimizerSgd.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweep_over_the_limit_is_an_error_with_the_count_at_the_first_list()
    {
        var text = Base("learningRate", "epochs", "batchSize") +
            "sweep:\n  learningRate: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]\n  epochs: [1, 2, 3, 4, 5, 6, 7, 8]\n  batchSize: [1, 2, 3, 4, 5]\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("big.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0015", diagnostic.Id);
        Assert.Equal(
            "The lists in this file expand to 320 experiments (learningRate: 8 values x epochs: 8 values x batchSize: 5 values), more than the limit of 256; shorten a list or raise 'sweepLimit'",
            diagnostic.GetMessage());
        DiagnosticTests.AssertAt(diagnostic, "big.yaml", line: 6, column: 17);
        Assert.Equal([GeneratorHarness.CatalogHintName], run.HintNames);
    }

    [Fact]
    public void The_file_can_raise_or_lower_its_limit()
    {
        var big = Base("learningRate", "epochs", "batchSize") +
            "sweep:\n  learningRate: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]\n  epochs: [1, 2, 3, 4, 5, 6, 7, 8]\n  batchSize: [1, 2, 3, 4, 5]\n";
        var raised = GeneratorHarness.Run(GeneratorHarness.File("big.yaml", big + "sweepLimit: 320\n"));
        Assert.Empty(raised.AssertGeneratorDidNotThrow());
        Assert.Equal(320, Catalog(raised).Count);

        var lowered = GeneratorHarness.Run(GeneratorHarness.File("small.yaml", Base("learningRate") + "sweep: {learningRate: [0.1, 0.2]}\nsweepLimit: 1\n"));
        Assert.Equal("EXP0015", Assert.Single(lowered.AssertGeneratorDidNotThrow()).Id);
    }

    [Fact]
    public void An_astronomical_sweep_is_refused_without_expanding_it()
    {
        var list = "[" + string.Join(", ", Enumerable.Range(1, 1000)) + "]";
        var text = Base("epochs", "batchSize", "seed") + $"sweep:\n  epochs: {list}\n  batchSize: {list}\n  seed: {list}\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("huge.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0015", diagnostic.Id);
        Assert.StartsWith("The lists in this file expand to 1000000000 experiments", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sweep: {learningRate: []}", "EXP0016", "learningRate holds a list, but the list is empty: give at least one value", 23)]
    [InlineData("sweep: {learningRate: [0.1, 0.10]}", "EXP0016", "learningRate holds a list, but the value 0.1 is listed twice", 29)]
    [InlineData("sweep: {description: [a, b]}", "EXP0016", "description holds a list, but it cannot be swept: give one value, not a list", 22)]
    [InlineData("sweep: {sweepLimit: [1, 2]}", "EXP0016", "sweepLimit holds a list, but it cannot be swept: give one value, not a list", 21)]
    [InlineData("description: [a, b]", "EXP0016", "description holds a list, but it cannot be swept: give one value, not a list", 14)]
    [InlineData("sweepLimit: [1, 2]", "EXP0016", "sweepLimit holds a list, but it cannot be swept: give one value, not a list", 13)]
    [InlineData("extends: [a.yaml]", "EXP0016", "extends holds a list, but it cannot be swept: give one value, not a list", 10)]
    [InlineData("learningRate: [0.1, 0.2]", "EXP0021", "'learningRate' takes one value, not a list; to sweep it (one experiment per value), move the list under 'sweep:', as in 'sweep: { learningRate: [...] }'", 15)]
    [InlineData("learningRate: []", "EXP0021", "'learningRate' takes one value, not a list; to sweep it (one experiment per value), move the list under 'sweep:', as in 'sweep: { learningRate: [...] }'", 15)]
    public void Lists_that_cannot_sweep_are_errors(string line, string id, string message, int column)
    {
        var key = line.StartsWith("sweep: {", StringComparison.Ordinal) ? line["sweep: {".Length..line.IndexOf(':', "sweep: {".Length)] : line[..line.IndexOf(':', StringComparison.Ordinal)];
        var text = Base(key) + line + "\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("bad.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage());
        DiagnosticTests.AssertAt(diagnostic, "bad.yaml", line: text.Count(c => c == '\n'), column: column);
    }

    [Fact]
    public void Each_bad_item_of_a_list_is_reported_at_the_item()
    {
        var text = Base("learningRate") + "sweep: {learningRate: [0.1, fast, -1]}\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("bad.yaml", text));

        var diagnostics = run.AssertGeneratorDidNotThrow().OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(["EXP0003", "EXP0003"], diagnostics.Select(d => d.Id));
        DiagnosticTests.AssertAt(diagnostics[0], "bad.yaml", line: 7, column: 29);
        DiagnosticTests.AssertAt(diagnostics[1], "bad.yaml", line: 7, column: 35);
    }

    [Fact]
    public void A_rule_broken_by_some_combinations_is_reported_once()
    {
        var text = Base() + "optimizer: momentum\nsweep:\n  momentum: [0, 0.5]\n  seed: [1, 2, 3]\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("bad.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Contains("greater than 0 with optimizer 'momentum'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    private static List<string> Catalog(GeneratorRun run) =>
        run.Catalog.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("new ", StringComparison.Ordinal) && l.EndsWith("Experiment(),", StringComparison.Ordinal))
            .Select(l => l["new ".Length..^"Experiment(),".Length])
            .ToList();

    [Fact]
    public void Minus_zero_is_zero_so_it_cannot_make_a_second_experiment_or_slip_past_a_rule()
    {
        var sweep = GeneratorHarness.Run(GeneratorHarness.File("z.yaml", Base() + "sweep: {weightDecay: [0, -0]}\n"));
        var repeated = Assert.Single(sweep.AssertGeneratorDidNotThrow());
        Assert.Equal("weightDecay holds a list, but the value 0 is listed twice", repeated.GetMessage());

        var rule = GeneratorHarness.Run(GeneratorHarness.File("r.yaml", Base() + "validationSplit: -0\nearlyStoppingPatience: 3\n"));
        Assert.Equal("EXP0003", Assert.Single(rule.AssertGeneratorDidNotThrow()).Id);
    }

    [Fact]
    public void A_list_too_long_to_be_a_sweep_is_refused_before_its_values_are_read()
    {
        var list = "[" + string.Join(", ", Enumerable.Range(1, 20_000)) + "]";
        var run = GeneratorHarness.Run(GeneratorHarness.File("long.yaml", Base("seed") + $"sweep: {{seed: {list}}}\n"));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0016", diagnostic.Id);
        Assert.Equal("seed holds a list, but it holds 20000 values, more than the 10000 one list may hold", diagnostic.GetMessage());
    }

    [Fact]
    public void A_sweep_key_that_is_no_key_suggests_the_real_one()
    {
        var text = Base("learningRate") + "sweep:\n  learningRat: [0.1, 0.2]\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("bad.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0026", diagnostic.Id);
        Assert.StartsWith("sweep key 'learningRat' is not a key of an experiment file (did you mean 'learningRate'?); keys that can be swept: ", diagnostic.GetMessage(), StringComparison.Ordinal);
        DiagnosticTests.AssertAt(diagnostic, "bad.yaml", line: 8, column: 3);
    }

    [Fact]
    public void A_key_set_and_swept_in_one_file_is_an_error_at_the_sweep()
    {
        var text = Base() + "sweep:\n  learningRate: [0.1, 0.2]\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("bad.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0026", diagnostic.Id);
        Assert.Equal("sweep key 'learningRate' is also set at line 7; set it there or sweep it here, not both", diagnostic.GetMessage());
        DiagnosticTests.AssertAt(diagnostic, "bad.yaml", line: 9, column: 3);
    }

    [Fact]
    public void A_sweep_value_that_is_not_a_list_is_an_error_at_the_value()
    {
        var text = Base("learningRate") + "sweep:\n  learningRate: 0.1\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("bad.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Equal("sweep.learningRate must be the list of values to try, e.g. 'learningRate: [...]', but is '0.1'", diagnostic.GetMessage());
        DiagnosticTests.AssertAt(diagnostic, "bad.yaml", line: 8, column: 17);
    }
}
