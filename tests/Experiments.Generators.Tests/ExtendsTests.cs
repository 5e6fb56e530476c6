using System.Text;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Tests;

/// <summary><c>extends</c> starts a file from another file's keys.</summary>
public sealed class ExtendsTests
{
    [Fact]
    public void A_file_takes_every_key_of_its_base_and_overrides_what_it_sets()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("base.yaml", GeneratorHarness.ValidYaml + "seed: 7\n"),
            GeneratorHarness.File("child.yaml", "extends: base.yaml\nlearningRate: 0.5\n"));
        run.AssertCompilesClean();

        var child = run.Source("Child.Experiment.g.cs");
        Assert.Contains("public const double LearningRate = 0.5;", child, StringComparison.Ordinal);
        Assert.Contains("public const long Seed = 7L;", child, StringComparison.Ordinal);
        Assert.Contains("public const int Epochs = 5;", child, StringComparison.Ordinal);
        Assert.Contains("from <c>experiments/child.yaml</c> extending <c>experiments/base.yaml</c>", child, StringComparison.Ordinal);
        Assert.Contains("public const double LearningRate = 0.001;", run.Source("Base.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void Chains_work_and_the_nearest_file_wins()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("a.yaml", GeneratorHarness.ValidYaml),
            GeneratorHarness.File("b.yaml", "extends: a.yaml\nepochs: 2\nseed: 2\n"),
            GeneratorHarness.File("sub/c.yaml", "extends: ../b.yaml\nseed: 3\n"));
        run.AssertCompilesClean();

        var c = run.Source("C.Experiment.g.cs");
        Assert.Contains("public const int Epochs = 2;", c, StringComparison.Ordinal);
        Assert.Contains("public const long Seed = 3L;", c, StringComparison.Ordinal);
        Assert.Contains("extending <c>experiments/b.yaml, experiments/a.yaml</c>", c, StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_only_file_needs_no_required_keys_and_is_not_an_experiment()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("_common.yaml", "dataset: mnist\ninputSize: 784\nnumClasses: 10\nbatchSize: 100\n"),
            GeneratorHarness.File("fast.yaml", "extends: _common.yaml\nepochs: 1\nlearningRate: 0.1\n"));
        run.AssertCompilesClean();

        Assert.Equal([GeneratorHarness.CatalogHintName, "Fast.Experiment.g.cs", "FastModel.g.cs"], run.HintNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_sweep_can_extend_and_be_narrowed_by_a_child()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("grid.yaml", GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "sweep: {learningRate: [0.1, 0.2]}", StringComparison.Ordinal)),
            GeneratorHarness.File("one.yaml", "extends: grid.yaml\nlearningRate: 0.3\n"));
        run.AssertCompilesClean();

        Assert.Contains("One.Experiment.g.cs", run.HintNames);
        Assert.Contains("Grid_LearningRate0p2.Experiment.g.cs", run.HintNames);
    }

    [Fact]
    public void A_missing_base_is_reported_at_the_extends_value_with_the_closest_file()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("seed-recipe.yaml", GeneratorHarness.ValidYaml),
            GeneratorHarness.File("child.yaml", "# comment\nextends: seed-recipe\nepochs: 2\n"));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0012", diagnostic.Id);
        Assert.Equal("extends names 'seed-recipe', but there is no experiment file 'experiments/seed-recipe' (did you mean 'seed-recipe.yaml'?)", diagnostic.GetMessage());
        DiagnosticTests.AssertAt(diagnostic, "child.yaml", line: 2, column: 10, endLine: 2, endColumn: 21);
        Assert.Contains("SeedRecipe.Experiment.g.cs", run.HintNames);
        Assert.DoesNotContain("Child.Experiment.g.cs", run.HintNames);
    }

    [Fact]
    public void A_cycle_is_reported_on_every_file_in_it()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("a.yaml", "extends: b.yaml\n" + GeneratorHarness.ValidYaml),
            GeneratorHarness.File("b.yaml", "extends: c.yaml\n"),
            GeneratorHarness.File("c.yaml", "extends: a.yaml\n"),
            GeneratorHarness.File("d.yaml", "extends: a.yaml\n"),
            GeneratorHarness.File("self.yaml", "extends: self.yaml\n"));

        var diagnostics = run.AssertGeneratorDidNotThrow().OrderBy(d => d.Location.GetLineSpan().Path, StringComparer.Ordinal).ToList();
        Assert.All(diagnostics, d => Assert.Equal("EXP0013", d.Id));
        Assert.Equal(
            [
                "extends forms a cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml; remove 'extends' from one of these files",
                "extends forms a cycle: b.yaml -> c.yaml -> a.yaml -> b.yaml; remove 'extends' from one of these files",
                "extends forms a cycle: c.yaml -> a.yaml -> b.yaml -> c.yaml; remove 'extends' from one of these files",
                "extends forms a cycle: self.yaml -> self.yaml; remove 'extends' from one of these files",
            ],
            diagnostics.Select(d => d.GetMessage()));
        DiagnosticTests.AssertAt(diagnostics[0], "a.yaml", line: 1, column: 10);
        Assert.Equal([GeneratorHarness.CatalogHintName], run.HintNames);
    }

    [Theory]
    [InlineData("../outside.yaml")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../experiments-other/x.yaml")]
    public void A_base_outside_the_experiments_folder_is_refused(string reference)
    {
        var outside = new InMemoryAdditionalText("/project/outside.yaml", GeneratorHarness.ValidYaml);
        var run = GeneratorHarness.Run(outside, GeneratorHarness.File("child.yaml", $"extends: {reference}\n"));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0014", diagnostic.Id);
        Assert.Equal($"extends names '{reference}', which is outside the experiments folder '/project/experiments/'; only experiment files can be extended", diagnostic.GetMessage());
        DiagnosticTests.AssertAt(diagnostic, "child.yaml", line: 1, column: 10);
    }

    [Fact]
    public void Keys_missing_after_the_chain_are_reported_on_the_child_naming_the_bases()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("_base.yaml", "inputSize: 784\nnumClasses: 10\n"),
            GeneratorHarness.File("child.yaml", "extends: _base.yaml\nepochs: 1\nbatchSize: 10\n"));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0004", diagnostic.Id);
        Assert.Equal("Required key 'learningRate' is missing (a positive number; it is not set in 'experiments/_base.yaml' either)", diagnostic.GetMessage());
        DiagnosticTests.AssertAt(diagnostic, "child.yaml", line: 1, column: 1);
    }

    [Fact]
    public void A_rule_broken_only_by_the_merge_is_reported_on_the_child()
    {
        // The base is fine on its own; the child makes its momentum of 0 invalid by choosing optimizer momentum.
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("base.yaml", GeneratorHarness.ValidYaml + "momentum: 0\n"),
            GeneratorHarness.File("child.yaml", "extends: base.yaml\noptimizer: momentum\n"));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0003", diagnostic.Id);
        DiagnosticTests.AssertAt(diagnostic, "child.yaml", line: 1, column: 10);
    }

    [Fact]
    public void A_child_of_a_broken_base_adds_no_error_of_its_own()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("base.yaml", GeneratorHarness.ValidYaml + "epochs: x\n"),
            GeneratorHarness.File("child.yaml", "extends: base.yaml\n"));

        var diagnostics = run.AssertGeneratorDidNotThrow();
        Assert.All(diagnostics, d => Assert.EndsWith("base.yaml", d.Location.GetLineSpan().Path, StringComparison.Ordinal));
        Assert.Equal([GeneratorHarness.CatalogHintName], run.HintNames);
    }

    [Fact]
    public void Problems_of_base_only_files_are_reported_even_when_nothing_extends_them()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("_a.yaml", "extends: _b.yaml\n"),
            GeneratorHarness.File("_b.yaml", "extends: _a.yaml\n"),
            GeneratorHarness.File("_c.yaml", "extends: _missing.yaml\n"));

        var diagnostics = run.AssertGeneratorDidNotThrow();
        Assert.Equal(["EXP0012", "EXP0013", "EXP0013"], diagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_chain_longer_than_the_limit_is_an_error_not_a_stack_overflow()
    {
        // c000 extends c001 ... extends c149: resolving c000 first follows all 150 links.
        var files = Enumerable.Range(0, 150)
            .Select(i => GeneratorHarness.File($"c{i:D3}.yaml", i == 149 ? GeneratorHarness.ValidYaml : $"extends: c{i + 1:D3}.yaml\n"))
            .ToArray();
        var run = GeneratorHarness.Run(files);

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Equal("extends must be the start of a chain of at most 100 files, but is a chain longer than that", diagnostic.GetMessage());
        Assert.Contains("C149.Experiment.g.cs", run.HintNames);
        Assert.DoesNotContain("C000.Experiment.g.cs", run.HintNames);
    }
}
