using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Experiments.Bench;

/// <summary>What <c>dotnet build</c> cost at one number of files, in seconds of wall time.</summary>
internal sealed class BuildResult(int files)
{
    public int Files { get; } = files;

    /// <summary>Nothing changed since the last build.</summary>
    public Sample NoChange { get; } = new();

    /// <summary>One YAML file (no other file extends it) was edited.</summary>
    public Sample EditYaml { get; } = new();

    /// <summary>The project's obj/&lt;configuration&gt; and bin folders were deleted (restore kept, references up to date).</summary>
    public Sample Clean { get; } = new();

    /// <summary>The time csc reported for ExperimentGenerator with ReportAnalyzer=true, after one YAML edit (seconds).</summary>
    public Sample GeneratorInBuild { get; } = new();

    /// <summary>csc's "Total generator execution time" in the same builds: every generator, the SDK's included (seconds).</summary>
    public Sample AllGeneratorsInBuild { get; } = new();
}

/// <summary>
/// Times <c>dotnet build</c> of a throw-away project outside the repository that uses the framework as
/// <c>runner/</c> does: references Experiments.Core, the generator as an analyzer, and imports its targets.
/// </summary>
internal sealed partial class BuildBench(string repositoryRoot, int repeat) : IDisposable
{
    private const string Configuration = "Debug";

    private readonly string root = Path.Combine(Path.GetTempPath(), "generator-bench-" + Guid.NewGuid().ToString("N")[..8]);

    public string Root => root;

    public bool Keep { get; init; }

    public BuildResult Measure(int count, TextWriter log)
    {
        var project = Path.Combine(root, "n" + count.ToString(CultureInfo.InvariantCulture));
        var files = ExperimentFiles.Create(count);
        WriteProject(project, files);
        var result = new BuildResult(count);

        log.WriteLine($"  build: first build of {project} (restore, references)");
        Build(project);
        Build(project);

        for (var i = 0; i < repeat; i++)
        {
            result.NoChange.Add(Build(project));
        }

        var leaf = ExperimentFiles.LeafIndex(count);
        var variant = 0;
        for (var i = 0; i < repeat; i++)
        {
            EditLeaf(project, leaf, ++variant);
            result.EditYaml.Add(Build(project));
        }

        for (var i = 0; i < repeat; i++)
        {
            DeleteOutputs(project);
            result.Clean.Add(Build(project));
        }

        // The generator's own share of a build, as the compiler reports it (separate builds: reporting has a cost).
        for (var i = 0; i < Math.Min(repeat, 3); i++)
        {
            EditLeaf(project, leaf, ++variant);
            var output = new StringBuilder();
            Build(project, output, "-p:ReportAnalyzer=true", "-v:d");
            var text = output.ToString();
            if (ExperimentGeneratorTime().Match(text) is { Success: true } ours)
            {
                result.GeneratorInBuild.Add(double.Parse(ours.Groups[1].Value, CultureInfo.InvariantCulture));
            }

            if (TotalGeneratorTime().Match(text) is { Success: true } total)
            {
                result.AllGeneratorsInBuild.Add(double.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }

        return result;
    }

    public void Dispose()
    {
        if (!Keep && Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private void WriteProject(string project, IReadOnlyList<ExperimentFile> files)
    {
        var experiments = Path.Combine(project, "experiments");
        Directory.CreateDirectory(experiments);

        // Stop MSBuild and NuGet from picking up anything above the temporary folder.
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), "<Project />\n");

        var repo = repositoryRoot.TrimEnd('/', '\\');
        File.WriteAllText(Path.Combine(project, "BenchExperiments.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <!-- Written by bench/GeneratorBench: a project with many experiments, wired up as runner/ is. -->
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <LangVersion>latest</LangVersion>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <ExperimentsDirectory>$(MSBuildProjectDirectory)/experiments/</ExperimentsDirectory>
                <!-- The repository's dataset files: the synthetic experiments name mnist. -->
                <DatasetsDirectory>{repo}/datasets/</DatasetsDirectory>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{repo}/src/Experiments.Core/Experiments.Core.csproj" />
                <ProjectReference Include="{repo}/generators/Experiments.Generators/Experiments.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
              <Import Project="{repo}/generators/Experiments.Generators/build/Experiments.Generators.targets" />
            </Project>

            """);
        File.WriteAllText(Path.Combine(project, "Count.cs"), """
            namespace BenchExperiments;

            public static class Count
            {
                public static int Experiments => global::BenchExperiments.ExperimentCatalog.All.Count;
            }

            """);
        foreach (var file in files)
        {
            File.WriteAllText(Path.Combine(experiments, file.FileName), file.Content);
        }
    }

    private static void EditLeaf(string project, int index, int variant)
    {
        var file = ExperimentFiles.Create(index, variant);
        File.WriteAllText(Path.Combine(project, "experiments", file.FileName), file.Content);
    }

    private static void DeleteOutputs(string project)
    {
        foreach (var folder in new[] { Path.Combine(project, "obj", Configuration), Path.Combine(project, "bin") })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Runs <c>dotnet build -nologo -v:q</c> in the project folder; returns the wall time in seconds.</summary>
    private static double Build(string project, StringBuilder? output = null, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("build");
        info.ArgumentList.Add("-nologo");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Configuration);
        if (!extra.Any(a => a.StartsWith("-v:", StringComparison.Ordinal)))
        {
            info.ArgumentList.Add("-v:q");
        }

        foreach (var argument in extra)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";

        output ??= new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dotnet.");
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        stopwatch.Stop();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet build failed in {project} (exit code {process.ExitCode}):\n{output}");
        }

        return stopwatch.Elapsed.TotalSeconds;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    /// <summary>Settings of the environment that change what a build costs (servers kept between builds or not).</summary>
    public static IEnumerable<string> EnvironmentSettings() =>
        new[] { "UseSharedCompilation", "MSBUILDDISABLENODEREUSE", "DOTNET_CLI_USE_MSBUILD_SERVER" }
            .Select(name => (Name: name, Value: Environment.GetEnvironmentVariable(name)))
            .Where(setting => setting.Value is not null)
            .Select(setting => $"{setting.Name}={setting.Value}");

    /// <summary>Whether the environment turns the compiler server off, so that every compilation starts csc cold.</summary>
    public static bool SharedCompilationDisabled =>
        string.Equals(Environment.GetEnvironmentVariable("UseSharedCompilation"), "false", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"Total generator execution time:\s*([0-9.]+)\s*seconds")]
    private static partial Regex TotalGeneratorTime();

    // A row of csc's per-generator table: "   1.003   18      Experiments.Generators.ExperimentGenerator".
    [GeneratedRegex(@"^\s*<?([0-9.]+)\s+<?\d+\s+Experiments\.Generators\.ExperimentGenerator\s*$", RegexOptions.Multiline)]
    private static partial Regex ExperimentGeneratorTime();
}
