using Experiments.Build.LibStdCxxCompat;

namespace Experiments.Build.Tests;

/// <summary>What LibStdCxxCompat.targets did to this very test project's build output.</summary>
public sealed class BuildStepTests
{
    [Fact]
    public void TheOutputCopyIsPatchedAndTheNuGetCacheCopyIsNot()
    {
        var output = File.ReadAllBytes(TestFiles.OutputLibTorchSharp);
        var package = TestFiles.OriginalLibTorchSharp();

        Assert.False(ElfVersionPatcher.Inspect(package).IsWeak);
        Assert.Equal(TestFiles.MachineLacksGlibcxx3432(), ElfVersionPatcher.Inspect(output).IsWeak);
        Assert.Equal(package.Length, output.Length);
        var differences = Enumerable.Range(0, package.Length).Where(i => package[i] != output[i]).Select(i => (long)i).ToList();
        Assert.Equal(TestFiles.MachineLacksGlibcxx3432() ? [TestFiles.ExpectedFlagsOffset] : [], differences);
    }

    [Fact]
    public void TheOutputCopyKeepsThePackageFilesTimestampSoTheNextBuildDoesNotCopyItAgain()
    {
        Assert.Equal(File.GetLastWriteTimeUtc(TestFiles.NuGetLibTorchSharp), File.GetLastWriteTimeUtc(TestFiles.OutputLibTorchSharp));
        Assert.Equal(new FileInfo(TestFiles.NuGetLibTorchSharp).Length, new FileInfo(TestFiles.OutputLibTorchSharp).Length);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(TestFiles.OutputLibTorchSharp)!, "*.tmp"));
    }

    [Fact]
    public void TorchSharpInitialises()
    {
        using var ones = TorchSharp.torch.ones(3);
        using var sum = ones.sum();

        Assert.Equal(3f, sum.item<float>());
    }
}
