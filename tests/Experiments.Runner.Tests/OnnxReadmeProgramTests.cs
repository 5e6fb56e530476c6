using System.Diagnostics;
using System.Text.RegularExpressions;
using Experiments.Checkpoints;
using SkiaSharp;
using Spectre.Console.Testing;
using static TorchSharp.torch;

namespace Experiments.Runner.Tests;

/// <summary>
/// The README's program that classifies images with an exported model (ONNX Runtime and SkiaSharp only): built
/// from the README's own blocks in a scratch folder outside the repository, run on test-set digits saved as PNG
/// files (one inverted, dark ink on light paper), it prints for each the class TorchSharp's model predicts.
/// </summary>
[Collection(TrainedModelsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OnnxReadmeProgramTests(TrainedModelsFixture fixture) : IDisposable
{
    private const int Images = 8;

    private readonly TemporaryDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void The_README_program_classifies_saved_digits_as_TorchSharp_does()
    {
        var model = scratch.Combine("cnn.onnx");
        var console = new TestConsole().Width(400);
        Assert.Equal(0, TestHost.Run(["export-model", "cnn", "--format", "onnx", "--output", model, "--results", fixture.Results], console, fixture.Catalog));

        // The project, exactly as the README shows it.
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var section = readme[readme.IndexOf("### Exporting to ONNX", StringComparison.Ordinal)..];
        var project = scratch.Combine("classify");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "classify.csproj"), Block(section, "xml"));
        File.WriteAllText(Path.Combine(project, "Program.cs"), Block(section, "csharp"));

        // Test digits as PNG files, and what TorchSharp's cnn says they are.
        var test = fixture.Mnist.Test;
        var pixels = test.Inputs.narrow(0, 0, Images).reshape(Images, 28 * 28).data<byte>().ToArray();
        var files = new List<string>();
        for (var i = 0; i < Images; i++)
        {
            files.Add(SavePng(scratch.Combine($"digit{i}.png"), pixels.AsSpan(i * 784, 784), invert: false));
        }

        files.Add(SavePng(scratch.Combine("inverted0.png"), pixels.AsSpan(0, 784), invert: true));
        var expected = Predict(test.Inputs.narrow(0, 0, Images));
        expected.Add(expected[0]);

        var (exitCode, output) = Dotnet(["run", "--project", project, "--", model, .. files]);
        Assert.True(exitCode == 0, output);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Matches(new Regex("^" + Regex.Escape($"{files[i]}: {expected[i]} (") + @"\d+(\.\d)?\s?%\)$", RegexOptions.Multiline), output);
        }
    }

    /// <summary>The first fenced block of <paramref name="language"/> in <paramref name="text"/>.</summary>
    private static string Block(string text, string language)
    {
        var match = Regex.Match(text, "^```" + language + "\n(.*?)^```$", RegexOptions.Singleline | RegexOptions.Multiline);
        Assert.True(match.Success, $"no ```{language} block in the README's section");
        return match.Groups[1].Value;
    }

    private static string SavePng(string path, ReadOnlySpan<byte> pixels, bool invert)
    {
        using var bitmap = new SKBitmap(28, 28, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (var i = 0; i < pixels.Length; i++)
        {
            var value = invert ? (byte)(255 - pixels[i]) : pixels[i];
            bitmap.SetPixel(i % 28, i / 28, new SKColor(value, value, value));
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    private List<string> Predict(Tensor raw)
    {
        var directory = Path.Combine(fixture.Results, "1", "cnn");
        var config = ModelCheckpoint.ReadConfig(directory);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = fixture.Experiment("cnn").CreateModel();
        ModelCheckpoint.LoadWeights(directory, model);
        model.eval();
        return [.. model.forward(config.Inputs.Apply(raw)).argmax(1).data<long>().ToArray().Select(c => config.ClassNames[(int)c])];
    }

    private static (int ExitCode, string Output) Dotnet(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host's MSBuild and VSTest variables would steer the child build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet run of the README's program did not finish within 5 minutes");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
