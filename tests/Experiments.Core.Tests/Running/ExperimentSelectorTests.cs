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
    public void A_large_catalog_is_not_listed_whole_but_cut_to_the_closest_names()
    {
        IReadOnlyList<IExperiment> catalog = Enumerable.Range(0, 10_008)
            .Select(i => (IExperiment)new TestExperiment(TestExperiment.BlogRecipe, name: $"big/learningRate={i}", sweep: "big"))
            .Append(new TestExperiment(TestExperiment.BlogRecipe, name: "seed-recipe"))
            .ToList();
        var error = Assert.Throws<ArgumentException>(() => ExperimentSelector.Select(catalog, ["big/learningRate=12345"]));
        // The five one edit away come first, in catalog order.
        Assert.Contains("? The closest 10 of the 10,009 known experiments: big/learningRate=1234, big/learningRate=1235, big/learningRate=1245, big/learningRate=1345, big/learningRate=2345, ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(", and 9,999 more; see 'list'", error.Message, StringComparison.Ordinal);
        Assert.Equal(10, error.Message.Split("big/learningRate=", StringSplitOptions.None).Length - 3); // 10 names besides the pattern and the guess
        Assert.True(error.Message.Length < 600, error.Message);
    }

    [Fact]
    public void A_long_pattern_is_echoed_once_and_shortened()
    {
        var pattern = new string('x', 100_000);
        var error = Assert.Throws<ArgumentException>(() => Names(pattern));
        Assert.StartsWith($"No experiment matches '{new string('x', 80)}… (100,000 characters)'; known experiments: seed-literal-softmax,", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 300, error.Message);
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
