using System.Security.Cryptography;
using System.Text;
using Experiments.Generators.Model;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Tests;

/// <summary>
/// Each experiment carries the SHA-256 of its resolved configuration (what it trains with), and the catalog the
/// SHA-256 of each file's text as built (to tell at run time that a file changed since).
/// </summary>
public sealed class ConfigurationHashTests
{
    private const string Base = "epochs: 5\nbatchSize: 100\n";
    private const string Child = "extends: _base.yaml\ninputSize: 784\nnumClasses: 10\nlearningRate: 0.001\n";

    [Fact]
    public void CommentAndLayoutEditsKeepTheHash()
    {
        var plain = Hash("a", GeneratorHarness.ValidYaml);
        var reformatted = Hash("a", "# a comment\n\n" + GeneratorHarness.ValidYaml.Replace(": ", ":    ", StringComparison.Ordinal).Replace("\n", "   # note\n", StringComparison.Ordinal));
        var respelt = Hash("a", GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "learningRate: 1e-3", StringComparison.Ordinal));

        Assert.Matches("^[0-9a-f]{64}$", plain);
        Assert.Equal(plain, reformatted);
        Assert.Equal(plain, respelt);
    }

    [Fact]
    public void AValueEditChangesTheHash()
    {
        var before = Hash("a", GeneratorHarness.ValidYaml);
        var after = Hash("a", GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "learningRate: 0.1", StringComparison.Ordinal));
        var defaultSpelledOut = Hash("a", GeneratorHarness.ValidYaml + "seed: 0\n");

        Assert.NotEqual(before, after);

        // The hash is of the configuration: a default written out is the same configuration.
        Assert.Equal(before, defaultSpelledOut);
    }

    [Fact]
    public void AValueEditInABaseChangesTheHashOfTheFileThatExtendsIt()
    {
        var before = Hash("child", Child, ("_base.yaml", Base));
        var commented = Hash("child", Child, ("_base.yaml", "# shared\n" + Base));
        var after = Hash("child", Child, ("_base.yaml", Base.Replace("epochs: 5", "epochs: 6", StringComparison.Ordinal)));

        Assert.Equal(before, commented);
        Assert.NotEqual(before, after);

        // Where a value comes from does not matter, only what it is: the same keys in one file hash the same.
        Assert.Equal(before, Hash("child", GeneratorHarness.ValidYaml.Replace("description: test experiment\n", string.Empty, StringComparison.Ordinal).Replace("dataset: mnist\n", string.Empty, StringComparison.Ordinal)));
    }

    [Fact]
    public void EachMemberOfASweepHasItsOwnHash()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("s.yaml", GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "sweep: {learningRate: [0.001, 0.1]}", StringComparison.Ordinal)));
        var compilation = run.AssertCompilesClean();

        var slow = Constant(compilation, "S_LearningRate0p001");
        var fast = Constant(compilation, "S_LearningRate0p1");
        Assert.NotEqual(slow, fast);
        Assert.Equal(Hash("a", GeneratorHarness.ValidYaml), slow);
    }

    [Fact]
    public void TheHashIsOfTheDocumentedCanonicalForm()
    {
        var form = ConfigurationHash.CanonicalForm(ExperimentSchema.EmittedKeys.Select(k => k.Name == "description" ? "two\nlines \\ here" : k.Default ?? "1").ToList());

        Assert.StartsWith("experiments-configuration/2\ndescription=two\\nlines \\\\ here\ndataset=mnist\ninputSize=1\n", form, StringComparison.Ordinal);
        Assert.EndsWith("deskew=false\ndevice=cpu\n", form, StringComparison.Ordinal);
        Assert.Equal(ExperimentSchema.EmittedKeys.Length + 1, form.Count(c => c == '\n'));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(form))), ConfigurationHash.OfConfiguration(ExperimentSchema.EmittedKeys.Select(k => k.Name == "description" ? "two\nlines \\ here" : k.Default ?? "1").ToList()));
    }

    [Fact]
    public void A_model_adds_a_last_line_of_its_canonical_text()
    {
        var values = ExperimentSchema.EmittedKeys.Select(k => k.Default ?? "1").ToList();
        var form = ConfigurationHash.CanonicalForm(values, "mlp[1, 28, 28]:a\\b\nc");

        Assert.Equal(ConfigurationHash.CanonicalForm(values) + "model=mlp[1, 28, 28]:a\\\\b\\nc\n", form);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(form))), ConfigurationHash.OfConfiguration(values, "mlp[1, 28, 28]:a\\b\nc"));
    }

    [Fact]
    public void The_model_is_part_of_the_hash_and_its_spelling_is_not()
    {
        var linear = Hash("a", GeneratorHarness.ValidYaml);
        var mlp = Hash("a", GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [128]}}\n");
        var block = Hash("a", GeneratorHarness.ValidYaml + "model:\n  mlp:\n    hidden:\n      - 128\n    activation: relu   # the default\n");
        var wider = Hash("a", GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [256]}}\n");

        Assert.NotEqual(linear, mlp);
        Assert.Equal(mlp, block);
        Assert.NotEqual(mlp, wider);

        // Members of a model sweep differ in their model line only, so each has its own hash; the one that matches
        // the plain file hashes as that file does.
        var run = GeneratorHarness.Run(GeneratorHarness.File("s.yaml", GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [128]}}\nsweep: {model.mlp.hidden: [[128], [256]]}\n"));
        var compilation = run.AssertCompilesClean();
        Assert.Equal(mlp, Constant(compilation, "S_Hidden128"));
        Assert.Equal(wider, Constant(compilation, "S_Hidden256"));
    }

    [Theory]
    [InlineData("description: plain\n")]
    [InlineData("\uFEFFdescription: with a byte-order mark\r\n")]
    [InlineData("description: caf\u00e9 \u5b66\u4e60\u7387\n")]
    public void TheFileHashIsWhatTheRuntimeComputesFromTheSameText(string text) =>
        Assert.Equal(ExperimentFile.HashText(text), ConfigurationHash.OfText(text));

    [Fact]
    public void TheCatalogRecordsEachFileAsBuiltUnderTheExperimentsFolder()
    {
        var child = GeneratorHarness.File("sub/child.yaml", Child.Replace("_base.yaml", "../_base.yaml", StringComparison.Ordinal));
        var run = GeneratorHarness.Run(child, GeneratorHarness.File("_base.yaml", Base));
        var catalog = run.Catalog;
        run.AssertCompilesClean();

        Assert.Contains($"public const string ExperimentsDirectory = \"{GeneratorHarness.ExperimentsDirectory}\";", catalog, StringComparison.Ordinal);
        Assert.Contains($"[\"experiments/_base.yaml\"] = new(\"experiments/_base.yaml\", ExperimentsDirectory + \"_base.yaml\", \"{ExperimentFile.HashText(Base)}\"),", catalog, StringComparison.Ordinal);
        Assert.Contains("[\"experiments/sub/child.yaml\"] = new(\"experiments/sub/child.yaml\", ExperimentsDirectory + \"sub/child.yaml\", ", catalog, StringComparison.Ordinal);
        Assert.Contains("BuiltFiles => global::Experiments.Generated.ExperimentCatalog.FilesOf(SourceFile, \"experiments/_base.yaml\", \"datasets/mnist.yaml\");", run.Source("Child.Experiment.g.cs"), StringComparison.Ordinal);

        // The absolute folder is written once, in the catalog; an experiment's own source does not depend on it.
        Assert.DoesNotContain(GeneratorHarness.ExperimentsDirectory, run.Source("Child.Experiment.g.cs"), StringComparison.Ordinal);
    }

    /// <summary>The emitted configuration hash of experiment <paramref name="name"/>, built with <paramref name="others"/>.</summary>
    private static string Hash(string name, string content, params (string Name, string Content)[] others)
    {
        var files = others.Select(o => GeneratorHarness.File(o.Name, o.Content)).Prepend(GeneratorHarness.File(name + ".yaml", content)).ToArray();
        var compilation = GeneratorHarness.Run(files).AssertCompilesClean();
        return Constant(compilation, Parsing.Naming.ToTypePrefix(name)!);
    }

    private static string Constant(Compilation compilation, string prefix)
    {
        var type = compilation.GetTypeByMetadataName($"Experiments.Generated.{prefix}Hyperparameters")!;
        return (string)((IFieldSymbol)type.GetMembers("ConfigurationSha256").Single()).ConstantValue!;
    }
}
