using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Experiments.Packaging.Tests;

/// <summary>
/// What a user does with the packages (issue 13): in the project `dotnet new experiments` made outside the repository,
/// with only the packed folder and nuget.org to restore from, build (the generator runs from its package), run
/// <c>all</c> on the shipped MNIST, run it again without data, add an experiment, break one, and run the generated
/// tests. One test: each step needs the one before. Prints the time of every step.
/// </summary>
[Collection(PackagesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class EndToEndTests(PackagesFixture packages, ITestOutputHelper output)
{
    /// <summary>
    /// The host's exit code for a run whose experiments failed (Experiments.Hosting.ExitCodes.ExperimentFailed), as for
    /// a dataset that is not there: the runner's contract since before the host library.
    /// </summary>
    private const int ExperimentFailed = 1;

    private static readonly TimeSpan Build = TimeSpan.FromMinutes(6);

    [Fact]
    public void ANewProjectRestoresBuildsTrainsGrowsFailsAtTheBadLineAndPassesItsTests()
    {
        var project = packages.Project;
        try
        {
            // Restore and build: the packages come from the packed folder, the generator and the libstdc++ step too.
            var built = Step("build", "build", project, Build);
            Assert.DoesNotContain(": warning ", built, StringComparison.Ordinal);

            // Train and evaluate the seed recipe on the shipped MNIST; the table names it with its accuracy.
            var mnistRoot = Path.Combine(PackagesFixture.RepositoryRoot, "data");
            var results = Path.Combine(packages.Root, "results");
            var run = Step("run all", $"run --no-build -- all --data-root \"{mnistRoot}\" --results \"{results}\"", project, TimeSpan.FromMinutes(5));
            Assert.Contains("seed-recipe", run, StringComparison.Ordinal);
            Assert.Contains("completed", run, StringComparison.Ordinal);
            Assert.Matches(@"\b\d{1,3}\.\d{2}\b", run); // the accuracy (%)
            Assert.True(Directory.Exists(results) && Directory.EnumerateFiles(results, "latest.*").Any(), $"no latest.* in {results}:\n{run}");

            // A first run without data and without --download says what to do, in this project's words, and fails.
            var empty = Directory.CreateDirectory(Path.Combine(packages.Root, "empty-data")).FullName;
            var (offlineExit, offline) = packages.Timed("run all without data", $"run --no-build -- all --data-root \"{empty}\" --results \"{results}\"", project, TimeSpan.FromMinutes(2));
            output.WriteLine(offline);
            Assert.Equal(ExperimentFailed, offlineExit);
            Assert.Contains("Dataset 'mnist' was not found", offline, StringComparison.Ordinal);
            Assert.Contains($"dotnet run -- all --download --data-root {empty}", offline, StringComparison.Ordinal);

            // Another YAML file is another experiment, with no project edit; so is one that names a module of the project.
            var seed = File.ReadAllText(Path.Combine(project, "experiments", "seed-recipe.yaml"));
            File.WriteAllText(Path.Combine(project, "experiments", "second-try.yaml"), seed.Replace("epochs: 5", "epochs: 1", StringComparison.Ordinal));
            Directory.CreateDirectory(Path.Combine(project, "Models"));
            File.WriteAllText(Path.Combine(project, "Models", "TinyNet.cs"), TinyNet);
            File.WriteAllText(Path.Combine(project, "experiments", "tiny-net.yaml"), TinyNetExperiment);
            var rebuilt = Step("build with two more experiments", "build", project, Build);
            Assert.DoesNotContain(": warning ", rebuilt, StringComparison.Ordinal);
            var list = Step("list", "run --no-build -- list", project, TimeSpan.FromMinutes(1));
            Assert.Contains("second-try", list, StringComparison.Ordinal);
            Assert.Contains("tiny-net", list, StringComparison.Ordinal);
            Assert.Contains("seed-recipe", list, StringComparison.Ordinal);
            var tiny = Step("run tiny-net", $"run --no-build -- run tiny-net --data-root \"{mnistRoot}\" --results \"{results}\"", project, TimeSpan.FromMinutes(3));
            Assert.Contains("tiny-net", tiny, StringComparison.Ordinal);
            Assert.Contains("completed", tiny, StringComparison.Ordinal);

            // The package's Scalar-lifetime analyzer checks the project's own code (a number made a TorchSharp Scalar
            // that nothing keeps alive); ExperimentsScalarLifetimeAnalyzer=false takes it out of the build.
            var doubling = Path.Combine(project, "Models", "Doubling.cs");
            File.WriteAllText(doubling, Doubling);
            var (unheldExit, unheld) = packages.Timed("build with an unheld Scalar", "build", project, Build);
            Assert.NotEqual(0, unheldExit);
            Assert.Matches(Regex.Escape(doubling) + @"\(\d+,\d+\): error EXPT0001: ", unheld);
            Step("build with the analyzer off", "build -p:ExperimentsScalarLifetimeAnalyzer=false", project, Build);
            File.Delete(doubling);

            // A bad value is a build error at its file, line and column.
            var broken = Path.Combine(project, "experiments", "broken.yaml");
            File.WriteAllText(broken, seed.Replace("learningRate: 0.001", "learningRate: fast", StringComparison.Ordinal));
            var (brokenExit, brokenBuild) = packages.Timed("build with a broken experiment", "build", project, Build);
            Assert.NotEqual(0, brokenExit);
            Assert.Matches(Regex.Escape(broken) + @"\(\d+,\d+\): error EXP\d{4}: ", brokenBuild);
            File.Delete(broken);

            // The generated test project passes.
            var tests = Step("dotnet test (generated tests)", "test", Path.Combine(project, "my-lab.Tests"), Build);
            Assert.Matches(@"Passed!|total: \d+, failed: 0|Failed:\s+0", tests);
        }
        finally
        {
            foreach (var line in packages.Log)
            {
                output.WriteLine(line);
            }
        }
    }

    /// <summary>A user's own module (the models issue): one hidden layer, found by the generator in the project.</summary>
    private const string TinyNet = """
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        namespace my_lab.Models;

        public sealed class TinyNet : nn.Module<Tensor, Tensor>
        {
            private readonly Linear fc1;
            private readonly ReLU relu;
            private readonly Linear fc2;

            public TinyNet(int hidden = 32, int numClasses = 10)
                : base(nameof(TinyNet))
            {
                fc1 = nn.Linear(784, hidden);
                relu = nn.ReLU();
                fc2 = nn.Linear(hidden, numClasses);
                RegisterComponents();
            }

            public override Tensor forward(Tensor input)
            {
                using var hidden = fc1.forward(input);
                using var activated = relu.forward(hidden);
                return fc2.forward(activated);
            }
        }
        """;

    /// <summary>A number TorchSharp turns into a Scalar where it is passed: EXPT0001.</summary>
    private const string Doubling = """
        using static TorchSharp.torch;

        namespace my_lab.Models;

        public static class Doubling
        {
            public static Tensor Twice(Tensor input) => input.mul(2.0);
        }
        """;

    private const string TinyNetExperiment = """
        description: TinyNet (Models/TinyNet.cs), one hidden layer of 32 units, Adam
        dataset: mnist
        inputSize: 784
        numClasses: 10
        model:
          class: TinyNet
          args:
            hidden: 32
        epochs: 1
        batchSize: 100
        learningRate: 0.001
        optimizer: adam
        seed: 0
        """;

    private string Step(string name, string arguments, string directory, TimeSpan timeout)
    {
        var text = packages.Step(name, arguments, directory, timeout);
        output.WriteLine($"--- {name}\n{text}");
        return text;
    }
}
