using System.Diagnostics;
using System.Runtime.Versioning;
using Experiments.Tests;

namespace Experiments.Build.Tests;

/// <summary>
/// The README's test command, <c>./test.sh</c>, run with a PATH of stand-ins for apt-get, sudo, readelf, chromium
/// and dotnet (and a stand-in folder for PyTorch's Python package) that log their arguments: it installs exactly what is missing (updating the package lists once when an
/// install fails), passes its arguments to <c>dotnet test</c>, and returns its exit code.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class TestScriptTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();
    private readonly string stubs;
    private readonly string log;
    private readonly string fashionMnist;
    private readonly string torch;

    public TestScriptTests()
    {
        stubs = directory.Combine("bin");
        Directory.CreateDirectory(stubs);
        log = directory.Combine("calls.log");
        fashionMnist = directory.Combine("fashion-mnist");
        torch = directory.Combine("dist-packages", "torch");
        // A copy, so that the script's `cd` to its own folder lands here and `dotnet test` is the stand-in's.
        File.Copy(Path.Combine(RepositoryPaths.Root, "test.sh"), directory.Combine("test.sh"));
        Stub("dotnet", "exit ${DOTNET_EXIT:-0}");
        // sudo runs the command with a mark, so that the call logs as "sudo apt-get ...".
        File.WriteAllText(Path.Combine(stubs, "sudo"), "#!/bin/bash\nVIA_SUDO=1 exec \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(stubs, "sudo"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => directory.Dispose();

    [Fact]
    public void On_a_fresh_machine_it_installs_every_missing_package_then_runs_dotnet_test_with_the_arguments()
    {
        Stub("apt-get", "exit 0");

        var (exitCode, output) = Run(["--filter", "FullyQualifiedName~Store", "--no-build"]);

        Assert.Equal(0, exitCode);
        var calls = Calls();
        Assert.Equal(2, calls.Count);
        Assert.Equal(AsRoot("apt-get install -y --no-install-recommends dataset-fashion-mnist binutils chromium python3-torch"), calls[0]);
        Assert.Equal("dotnet test --filter FullyQualifiedName~Store --no-build", calls[1]);
        Assert.Contains("installing dataset-fashion-mnist binutils chromium python3-torch", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_everything_installed_it_only_runs_dotnet_test()
    {
        Stub("apt-get", "exit 0");
        Stub("readelf", "exit 0");
        Stub("chromium", "exit 0");
        Directory.CreateDirectory(fashionMnist);
        File.WriteAllBytes(Path.Combine(fashionMnist, "train-images-idx3-ubyte.gz"), [0x1f, 0x8b]);
        Directory.CreateDirectory(torch);
        File.WriteAllText(Path.Combine(torch, "__init__.py"), "");

        var (exitCode, _) = Run([]);

        Assert.Equal(0, exitCode);
        Assert.Equal(["dotnet test"], Calls());
    }

    [Fact]
    public void Only_the_missing_packages_are_installed()
    {
        Stub("apt-get", "exit 0");
        Stub("readelf", "exit 0");

        var (exitCode, _) = Run([]);

        Assert.Equal(0, exitCode);
        Assert.Equal(AsRoot("apt-get install -y --no-install-recommends dataset-fashion-mnist chromium python3-torch"), Calls()[0]);
    }

    [Fact]
    public void A_failed_install_updates_the_package_lists_once_and_tries_again()
    {
        var updated = directory.Combine("updated");
        Stub("apt-get", $"if [ \"$1\" = update ]; then : > '{updated}'; exit 0; fi; [ -e '{updated}' ]");

        var (exitCode, _) = Run([]);

        Assert.Equal(0, exitCode);
        var calls = Calls();
        Assert.Equal(4, calls.Count);
        Assert.StartsWith(AsRoot("apt-get install"), calls[0], StringComparison.Ordinal);
        Assert.Equal(AsRoot("apt-get update"), calls[1]);
        Assert.StartsWith(AsRoot("apt-get install"), calls[2], StringComparison.Ordinal);
        Assert.Equal("dotnet test", calls[3]);
    }

    [Fact]
    public void When_the_packages_cannot_be_installed_it_says_which_and_does_not_run_the_tests()
    {
        Stub("apt-get", "exit 100");

        var (exitCode, output) = Run([]);

        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain(Calls(), call => call.StartsWith("dotnet", StringComparison.Ordinal));
        Assert.Contains("could not install dataset-fashion-mnist binutils chromium python3-torch", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_exit_code_of_dotnet_test_is_the_scripts()
    {
        Stub("apt-get", "exit 0");

        var (exitCode, _) = Run([], ("DOTNET_EXIT", "3"));

        Assert.Equal(3, exitCode);
    }

    [Fact]
    public void Check_only_mode_names_what_is_missing_and_installs_nothing()
    {
        Stub("apt-get", "exit 0");
        Stub("chromium", "exit 0");

        var (exitCode, output) = Run([], ("EXPERIMENTS_TEST_NO_INSTALL", "1"));

        Assert.Equal(1, exitCode);
        Assert.Empty(Calls());
        Assert.Contains("missing Debian packages: dataset-fashion-mnist binutils", output, StringComparison.Ordinal);
    }

    /// <summary>The call as the script makes it: through sudo unless the tests run as root.</summary>
    private static string AsRoot(string call) => Environment.UserName == "root" ? call : "sudo " + call;

    /// <summary>A stand-in for <paramref name="name"/> that logs its name and arguments, then runs <paramref name="body"/>.</summary>
    private void Stub(string name, string body)
    {
        var path = Path.Combine(stubs, name);
        File.WriteAllText(path, $"#!/bin/bash\necho \"${{VIA_SUDO:+sudo }}{name} $*\" >> '{log}'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private List<string> Calls() => File.Exists(log)
        ? File.ReadAllLines(log).Select(line => line.TrimEnd()).ToList()
        : [];

    private (int ExitCode, string Output) Run(string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory.Path,
        };
        start.ArgumentList.Add(directory.Combine("test.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = stubs;
        start.Environment["EXPERIMENTS_FASHION_MNIST_DIR"] = fashionMnist;
        start.Environment["EXPERIMENTS_TORCH_DIR"] = torch;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "test.sh did not finish within 60 s");
        return (process.ExitCode, output + error.GetAwaiter().GetResult());
    }
}
