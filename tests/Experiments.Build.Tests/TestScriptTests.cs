using System.Diagnostics;
using System.Runtime.Versioning;
using Experiments.Tests;

namespace Experiments.Build.Tests;

/// <summary>
/// The README's test command, <c>./test.sh</c>, run with a PATH of stand-ins for apt-get, sudo, readelf, chromium
/// and dotnet (and a stand-in folder for PyTorch's Python package) that log their arguments: it installs exactly what is missing (updating the package lists once when an
/// install fails), passes its arguments to <c>dotnet test</c>, and returns its exit code. Stand-ins for the service
/// scripts (<c>EXPERIMENTS_TEST_SERVICES</c>) show that it starts PostgreSQL and Slurm before <c>dotnet test</c>,
/// hands them to the tests through the environment, stops them afterwards, and fails naming the log when one does not start.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class TestScriptTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();
    private readonly string stubs;
    private readonly string log;
    private readonly string fashionMnist;
    private readonly string torch;
    private readonly string services;
    private readonly string servicesLog;
    private readonly string testEnvironment;

    public TestScriptTests()
    {
        stubs = directory.Combine("bin");
        Directory.CreateDirectory(stubs);
        log = directory.Combine("calls.log");
        fashionMnist = directory.Combine("fashion-mnist");
        torch = directory.Combine("dist-packages", "torch");
        services = directory.Combine("services");
        servicesLog = directory.Combine("services.log");
        testEnvironment = directory.Combine("dotnet-test.env");
        Directory.CreateDirectory(services);
        // The service scripts' stand-ins log "NAME.sh ACTION DIR"; start fails with the exit code in NAME_START_EXIT,
        // and postgres.sh writes the connection string the real one writes.
        ServiceStub("postgres", "/bin/mkdir -p \"$2\"; echo 'Host=127.0.0.1;Port=5999;Username=postgres;Database=postgres' > \"$2/connection\"");
        ServiceStub("slurm", "/bin/mkdir -p \"$2\"");
        // A copy, so that the script's `cd` to its own folder lands here and `dotnet test` is the stand-in's.
        File.Copy(Path.Combine(RepositoryPaths.Root, "test.sh"), directory.Combine("test.sh"));
        // dotnet records the services' variables it was given.
        Stub("dotnet", $"echo \"postgres=${{EXPERIMENTS_TEST_POSTGRES:-}} data=${{EXPERIMENTS_TEST_POSTGRES_DATA:-}} slurm=${{EXPERIMENTS_TEST_SLURM:-}} conf=${{SLURM_CONF:-}}\" > '{testEnvironment}'\nexit ${{DOTNET_EXIT:-0}}");
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
        Assert.Equal(AsRoot("apt-get install -y --no-install-recommends dataset-fashion-mnist binutils chromium python3-torch postgresql slurm-wlm munge"), calls[0]);
        Assert.Equal("dotnet test --filter FullyQualifiedName~Store --no-build", calls[1]);
        Assert.Contains("installing dataset-fashion-mnist binutils chromium python3-torch postgresql slurm-wlm munge", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_everything_installed_it_only_runs_dotnet_test()
    {
        EverythingInstalled();

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
        Assert.Equal(AsRoot("apt-get install -y --no-install-recommends dataset-fashion-mnist chromium python3-torch postgresql slurm-wlm munge"), Calls()[0]);
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
        Assert.Contains("could not install dataset-fashion-mnist binutils chromium python3-torch postgresql slurm-wlm munge", output, StringComparison.Ordinal);
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

    [Fact]
    public void It_starts_postgresql_and_slurm_before_dotnet_test_hands_them_to_the_tests_and_stops_them_after()
    {
        EverythingInstalled();

        var (exitCode, _) = Run(["--filter", "ScaleOut"], ("DOTNET_EXIT", "4"));

        Assert.Equal(4, exitCode);
        var calls = ServiceCalls();
        Assert.Equal(["postgres.sh start", "slurm.sh start", "slurm.sh stop", "postgres.sh stop"], calls.Select(call => call.Action));
        var postgresDir = calls[0].Dir;
        var slurmDir = calls[1].Dir;
        Assert.Equal(postgresDir, calls[3].Dir);
        Assert.Equal(slurmDir, calls[2].Dir);
        Assert.NotEqual(postgresDir, slurmDir);
        Assert.Equal(
            $"postgres=Host=127.0.0.1;Port=5999;Username=postgres;Database=postgres data={postgresDir}/data slurm=1 conf={slurmDir}/slurm.conf",
            File.ReadAllText(testEnvironment).TrimEnd());
        Assert.Equal(["dotnet test --filter ScaleOut"], Calls());
    }

    [Fact]
    public void Services_named_in_the_environment_are_used_and_none_is_started()
    {
        EverythingInstalled();

        var (exitCode, _) = Run(
            [],
            ("EXPERIMENTS_TEST_POSTGRES", "Host=db.example;Database=t"),
            ("EXPERIMENTS_TEST_SLURM", "1"),
            ("SLURM_CONF", "/etc/slurm/slurm.conf"));

        Assert.Equal(0, exitCode);
        Assert.Empty(ServiceCalls());
        Assert.Equal("postgres=Host=db.example;Database=t data= slurm=1 conf=/etc/slurm/slurm.conf", File.ReadAllText(testEnvironment).TrimEnd());
    }

    [Fact]
    public void A_service_that_does_not_start_fails_the_script_naming_its_log_and_stops_what_started()
    {
        EverythingInstalled();

        var (exitCode, output) = Run([], ("SLURM_START_EXIT", "1"));

        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain(Calls(), call => call.StartsWith("dotnet", StringComparison.Ordinal));
        var calls = ServiceCalls();
        // slurm.sh stop too: a half-started cluster is taken down as well.
        Assert.Equal(["postgres.sh start", "slurm.sh start", "slurm.sh stop", "postgres.sh stop"], calls.Select(call => call.Action));
        Assert.Contains($"Slurm did not start for the tests; read {calls[1].Dir}/slurmctld.log", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_postgresql_that_does_not_start_names_its_log_and_nothing_else_starts()
    {
        EverythingInstalled();

        var (exitCode, output) = Run([], ("POSTGRES_START_EXIT", "1"));

        Assert.NotEqual(0, exitCode);
        var calls = ServiceCalls();
        Assert.Equal(["postgres.sh start", "postgres.sh stop"], calls.Select(call => call.Action));
        Assert.Contains($"PostgreSQL did not start for the tests; read {calls[0].Dir}/postgres.log", output, StringComparison.Ordinal);
        Assert.False(File.Exists(testEnvironment));
    }

    [Fact]
    public void The_service_scripts_are_executable_bash_scripts_with_start_and_stop()
    {
        foreach (var name in new[] { "postgres.sh", "slurm.sh" })
        {
            var path = Path.Combine(RepositoryPaths.Root, "tests", "services", name);
            Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), $"{path} is not executable");
            var text = File.ReadAllText(path);
            Assert.StartsWith("#!/usr/bin/env bash\n", text, StringComparison.Ordinal);
            Assert.Contains("start)", text, StringComparison.Ordinal);
            Assert.Contains("stop)", text, StringComparison.Ordinal);
        }
    }

    /// <summary>Stand-ins for every package the script checks, so that it installs nothing.</summary>
    private void EverythingInstalled()
    {
        Stub("apt-get", "exit 0");
        Stub("readelf", "exit 0");
        Stub("chromium", "exit 0");
        Stub("sbatch", "exit 0");
        Stub("slurmctld", "exit 0");
        Stub("slurmd", "exit 0");
        Stub("munged", "exit 0");
        Directory.CreateDirectory(fashionMnist);
        File.WriteAllBytes(Path.Combine(fashionMnist, "train-images-idx3-ubyte.gz"), [0x1f, 0x8b]);
        Directory.CreateDirectory(torch);
        File.WriteAllText(Path.Combine(torch, "__init__.py"), "");
        var initdb = directory.Combine("postgresql", "15", "bin", "initdb");
        Directory.CreateDirectory(Path.GetDirectoryName(initdb)!);
        File.WriteAllText(initdb, "");
    }

    /// <summary>A stand-in service script NAME.sh that logs "NAME.sh ACTION DIR", then runs <paramref name="start"/> on start.</summary>
    private void ServiceStub(string name, string start)
    {
        var path = Path.Combine(services, name + ".sh");
        var exitVariable = name.ToUpperInvariant() + "_START_EXIT";
        File.WriteAllText(
            path,
            $"#!/bin/bash\necho \"{name}.sh $1 $2\" >> '{servicesLog}'\nif [ \"$1\" = start ]; then {start}; exit ${{{exitVariable}:-0}}; fi\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private List<(string Action, string Dir)> ServiceCalls() => File.Exists(servicesLog)
        ? File.ReadAllLines(servicesLog).Select(line => line.Split(' ')).Select(parts => (parts[0] + " " + parts[1], parts[2])).ToList()
        : [];

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
        start.Environment["EXPERIMENTS_POSTGRESQL_DIR"] = directory.Combine("postgresql");
        start.Environment["EXPERIMENTS_TEST_SERVICES"] = services;
        start.Environment["TMPDIR"] = directory.Path;
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
