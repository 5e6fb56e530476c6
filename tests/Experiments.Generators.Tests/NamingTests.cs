using Experiments.Generators.Model;
using Experiments.Generators.Parsing;
using Experiments.Spelling;

namespace Experiments.Generators.Tests;

public sealed class NamingTests
{
    [Theory]
    [InlineData("seed-recipe", "SeedRecipe")]
    [InlineData("seed-literal-softmax", "SeedLiteralSoftmax")]
    [InlineData("tuned-sgd", "TunedSgd")]
    [InlineData("2layer", "Experiment2layer")]
    [InlineData("2", "Experiment2")]
    [InlineData("1-a", "Experiment1A")]
    [InlineData("a.b c", "ABC")]
    [InlineData("class", "Class")]
    [InlineData("namespace", "Namespace")]
    [InlineData("x", "X")]
    [InlineData("snake_case_name", "SnakeCaseName")]
    [InlineData("camelCase", "CamelCase")]
    [InlineData("ALLCAPS", "ALLCAPS")]
    [InlineData("a1b", "A1b")]
    [InlineData("--leading-and-trailing--", "LeadingAndTrailing")]
    [InlineData("café", "Caf")]
    [InlineData("über-cool", "BerCool")]
    [InlineData("sgd", "Sgd")]
    [InlineData("softmax", "Softmax")]
    [InlineData("none", "None")]
    public void TypePrefixIsPascalCaseOfTheAsciiLettersAndDigits(string name, string expected) =>
        Assert.Equal(expected, Naming.ToTypePrefix(name));

    [Theory]
    [InlineData("")]
    [InlineData("---")]
    [InlineData("_")]
    [InlineData("é")]
    [InlineData("中文")]
    [InlineData(" ")]
    public void TypePrefixIsNullWithoutAnAsciiLetterOrDigit(string name) => Assert.Null(Naming.ToTypePrefix(name));

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "", 3)]
    [InlineData("abc", "abc", 0)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("learingRate", "learningRate", 1)]
    [InlineData("ab", "ba", 2)]
    public void DistanceIsLevenshtein(string a, string b, int expected)
    {
        Assert.Equal(expected, EditDistance.Distance(a, b));
        Assert.Equal(expected, EditDistance.Distance(b, a));
    }

    [Fact]
    public void DistanceGivesUpOnVeryLongWords()
    {
        var longWord = new string('a', 257);

        Assert.Equal(int.MaxValue, EditDistance.Distance(longWord, "a"));
        Assert.Null(EditDistance.Closest(longWord, ExperimentSchema.Keys.Select(k => k.Name)));
        Assert.Equal(0, EditDistance.Distance(new string('a', 256), new string('a', 256)));
    }

    [Theory]
    [InlineData("learingRate", "learningRate")]
    [InlineData("learningrate", "learningRate")]
    [InlineData("EPOCHS", "epochs")]
    [InlineData("epoch", "epochs")]
    [InlineData("batchsize", "batchSize")]
    [InlineData("batch_size", "batchSize")]
    [InlineData("inputsize", "inputSize")]
    [InlineData("numclass", "numClasses")]
    [InlineData("moment", "momentum")]
    [InlineData("sed", "seed")]
    [InlineData("outputActivaton", "outputActivation")]
    [InlineData("descripton", "description")]
    public void ClosestSuggestsTheIntendedKey(string typo, string expected) =>
        Assert.Equal(expected, EditDistance.Closest(typo, ExperimentSchema.Keys.Select(k => k.Name)));

    [Theory]
    [InlineData("colour")]
    [InlineData("lr")]
    [InlineData("xyz")]
    [InlineData("")]
    [InlineData("optimizerSettings")]
    public void ClosestSuggestsNothingForUnrelatedWords(string word) =>
        Assert.Null(EditDistance.Closest(word, ExperimentSchema.Keys.Select(k => k.Name)));

    [Fact]
    public void ClosestHandlesChoicesAndEmptyLists()
    {
        Assert.Equal("mnist", EditDistance.Closest("mnst", ["mnist", "fashion-mnist"]));
        Assert.Equal("fashion-mnist", EditDistance.Closest("fashion_mnist", ["mnist", "fashion-mnist"]));
        Assert.Null(EditDistance.Closest("mnist", []));
    }
}
