using Experiments.Core.Tests.Training;
using Experiments.Running;

namespace Experiments.Core.Tests.Running;

public sealed class ExperimentSelectorTests
{
    private static readonly IReadOnlyList<IExperiment> Catalog =
    [
        new TestExperiment(TestExperiment.BlogRecipe, name: "seed-literal-softmax"),
        new TestExperiment(TestExperiment.BlogRecipe, name: "seed-recipe"),
        new TestExperiment(TestExperiment.BlogRecipe, name: "tuned-sgd"),
    ];

    private static IEnumerable<string> Names(params string[] patterns) => ExperimentSelector.Select(Catalog, patterns).Select(e => e.Name);

    [Fact]
    public void Exact_names_and_globs_select_in_catalog_order_each_once()
    {
        Assert.Equal(["seed-recipe"], Names("seed-recipe"));
        Assert.Equal(["seed-literal-softmax", "seed-recipe"], Names("seed-*"));
        Assert.Equal(["seed-literal-softmax", "seed-recipe", "tuned-sgd"], Names("tuned-sgd", "*", "seed-recipe"));
        Assert.Equal(["tuned-sgd"], Names("tuned-?gd"));
    }

    [Fact]
    public void Glob_characters_are_not_regular_expressions()
    {
        Assert.Throws<ArgumentException>(() => Names("seed.recipe"));
        Assert.Throws<ArgumentException>(() => Names("seed-recipe|tuned-sgd"));
    }

    [Fact]
    public void A_pattern_that_matches_nothing_names_itself_and_suggests_the_closest()
    {
        var error = Assert.Throws<ArgumentException>(() => Names("seed-recipe", "tuned-sdg"));
        Assert.Contains("'tuned-sdg'", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'tuned-sgd'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pattern_far_from_every_name_gets_the_list_but_no_guess()
    {
        var error = Assert.Throws<ArgumentException>(() => Names("nope"));
        Assert.DoesNotContain("did you mean", error.Message, StringComparison.Ordinal);
        Assert.Contains("known experiments: seed-literal-softmax, seed-recipe, tuned-sgd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweeps_name_selects_every_member_and_a_member_alone_selects_itself()
    {
        IReadOnlyList<IExperiment> catalog =
        [
            new TestExperiment(TestExperiment.BlogRecipe, name: "lr/learningRate=0.1", sweep: "lr"),
            new TestExperiment(TestExperiment.BlogRecipe, name: "lr/learningRate=1", sweep: "lr"),
            new TestExperiment(TestExperiment.BlogRecipe, name: "lr-other"),
        ];
        IEnumerable<string> Select(params string[] patterns) => ExperimentSelector.Select(catalog, patterns).Select(e => e.Name);

        Assert.Equal(["lr/learningRate=0.1", "lr/learningRate=1"], Select("lr"));
        Assert.Equal(["lr/learningRate=1"], Select("lr/learningRate=1"));
        Assert.Equal(["lr/learningRate=0.1", "lr/learningRate=1"], Select("lr/*"));
        Assert.Equal(["lr/learningRate=0.1", "lr/learningRate=1", "lr-other"], Select("lr*"));
    }
}
