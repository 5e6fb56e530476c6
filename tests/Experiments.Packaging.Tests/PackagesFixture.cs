using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Experiments.Packaging.Tests;

/// <summary>
/// Once per test run: packs the four packages with a version of their own (<c>0.1.0-e2e.&lt;timestamp&gt;</c>, so the
/// global packages folder can never serve a stale copy) into a temporary folder, installs the template into a
/// temporary template hive and creates a project from it in a temporary folder outside the repository, with a
/// nuget.config that reads the packed folder and nuget.org. The Release build runs in its own artifacts folder, never
/// in the repository's bin/ and obj/. Disposing deletes the temporary folders and this version's folders in the
/// global packages folder.
/// </summary>
public sealed class PackagesFixture : IDisposable
{
    public static readonly string[] PackageIds = ["Experiments.Core", "Experiments.Generators", "Experiments.Host", "Experiments.Templates"];

    private static readonly string[] PackedProjects =
    [
        "src/Experiments.Core/Experiments.Core.csproj",
        "generators/Experiments.Generators/Experiments.Generators.csproj",
        "src/Experiments.Host/Experiments.Host.csproj",
        "templates/Experiments.Templates.csproj",
    ];

    private readonly List<string> log = [];

    public PackagesFixture(IMessageSink sink)
    {
        Sink = sink;
        // The process id too: two runs on one machine in the same second must not share (and delete) one version.
        Version = "0.1.0-e2e." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Root = Directory.CreateTempSubdirectory("experiments-e2e-").FullName;
        Packages = Path.Combine(Root, "packages");
        Hive = Path.Combine(Root, "hive");
        // A name C# cannot take as a namespace: the template must make it one (my_lab) and keep paths as typed.
        Project = Path.Combine(Root, "my-lab");
        Directory.CreateDirectory(Packages);
        try
        {
            foreach (var project in PackedProjects)
            {
                Step($"pack {project}", $"pack \"{Path.Combine(RepositoryRoot, project)}\" -c Release -o \"{Packages}\" -p:Version={Version} --artifacts-path \"{Path.Combine(Root, "artifacts")}\" -p:ContinuousIntegrationBuild=true", RepositoryRoot, TimeSpan.FromMinutes(8));
            }

            Step("dotnet new install", $"new install \"{PackagePath("Experiments.Templates")}\" --debug:custom-hive \"{Hive}\"", Root, TimeSpan.FromMinutes(2));
            Step("dotnet new experiments", $"new experiments -o \"{Project}\" --debug:custom-hive \"{Hive}\"", Root, TimeSpan.FromMinutes(2));
            File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="experiments" value="{Packages}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
                  </packageSources>
                </configuration>
                """);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IMessageSink Sink { get; }

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; }

    /// <summary>The temporary folder holding everything (under the system's temp folder, outside the repository).</summary>
    public string Root { get; }

    public string Packages { get; }

    public string Hive { get; }

    /// <summary>The project created from the template.</summary>
    public string Project { get; }

    /// <summary>What each step of the fixture took, for the tests' output.</summary>
    public IReadOnlyList<string> Log => log;

    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    public string PackagePath(string id) => Path.Combine(Packages, $"{id}.{Version}.nupkg");

    public string SymbolPackagePath(string id) => Path.Combine(Packages, $"{id}.{Version}.snupkg");

    /// <summary>The entries of a packed package, in ordinal order.</summary>
    public IReadOnlyList<string> Entries(string path)
    {
        using var archive = ZipFile.OpenRead(path);
        return archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal).ToList();
    }

    public string ReadEntry(string path, string entry)
    {
        using var archive = ZipFile.OpenRead(path);
        var found = archive.GetEntry(entry) ?? throw new XunitException($"{path} has no entry {entry}");
        using var reader = new StreamReader(found.Open());
        return reader.ReadToEnd();
    }

    /// <summary>Runs one `dotnet` command; fails with its output unless it exits 0. Returns the output.</summary>
    public string Step(string name, string arguments, string workingDirectory, TimeSpan timeout)
    {
        var (exitCode, output) = Timed(name, arguments, workingDirectory, timeout);
        if (exitCode != 0)
        {
            throw new XunitException($"{name}: dotnet {arguments} exited {exitCode}:\n{output}");
        }

        return output;
    }

    /// <summary>Runs one `dotnet` command and records how long it took.</summary>
    public (int ExitCode, string Output) Timed(string name, string arguments, string workingDirectory, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var result = DotNetProcess.Run(arguments, workingDirectory, timeout);
        var line = string.Create(CultureInfo.InvariantCulture, $"{name}: {clock.Elapsed.TotalSeconds:0.0} s (exit {result.ExitCode})");
        log.Add(line);
        Sink.OnMessage(new DiagnosticMessage(line));
        return result;
    }

    public void Dispose()
    {
        if (Directory.Exists(Hive))
        {
            try
            {
                DotNetProcess.Run($"new uninstall Experiments.Templates --debug:custom-hive \"{Hive}\"", Root, TimeSpan.FromMinutes(1));
            }
            catch (Exception exception) when (exception is TimeoutException or IOException or System.ComponentModel.Win32Exception)
            {
                // The hive is inside Root, deleted below either way; the packages must still be removed.
            }
        }

        // This run's packages in the global packages folder: nothing else ever asks for this version.
        foreach (var id in PackageIds)
        {
            var package = Path.Combine(GlobalPackagesFolder(), id.ToLowerInvariant());
            DeleteDirectory(Path.Combine(package, Version.ToLowerInvariant()));
            if (Directory.Exists(package) && !Directory.EnumerateFileSystemEntries(package).Any())
            {
                DeleteDirectory(package);
            }
        }

        DeleteDirectory(Root);
    }

    private static string GlobalPackagesFolder()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(root))
        {
            root = Metadata("NuGetPackageRoot");
        }

        return string.IsNullOrEmpty(root)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
            : root;
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary folder is harmless, and the version is never asked for again.
        }
    }

    private static string Metadata(string key) =>
        typeof(PackagesFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value ?? "";
}
