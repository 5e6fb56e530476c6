namespace Experiments.Runner;

/// <summary>
/// The one rule for where the data and the results are, for every command. Without an option: <c>data/</c> and
/// <c>results/</c> of the repository the runner was built from, while that checkout exists (the README's commands
/// run from its root, so nothing moves for them; from another folder, the results no longer land in a stray
/// <c>./results</c> while the data comes from the repository); else of the current directory (the binaries copied
/// elsewhere). A folder given as an option is taken relative to the current directory, as any path on a command line.
/// Always absolute, so the run header shows where things are.
/// </summary>
internal static class Folders
{
    public const string DataName = "data";
    public const string ResultsName = "results";

    /// <summary>The folder with one folder per dataset: <paramref name="option"/> (<c>--data-root</c>) or the default.</summary>
    public static string DataRoot(string? option) => Resolve(option, DataName, RepositoryInfo.Root, Environment.CurrentDirectory);

    /// <summary>The results folder: <paramref name="option"/> (<c>--results</c>) or the default.</summary>
    public static string Results(string? option) => Resolve(option, ResultsName, RepositoryInfo.Root, Environment.CurrentDirectory);

    /// <summary>The rule itself, with the repository (null when it is gone) and the current directory passed in.</summary>
    internal static string Resolve(string? option, string defaultName, string? repositoryRoot, string currentDirectory) =>
        Path.GetFullPath(option ?? Path.Combine(repositoryRoot ?? currentDirectory, defaultName), currentDirectory);
}
