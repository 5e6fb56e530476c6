namespace Experiments.Hosting;

/// <summary>
/// The one rule for where the data and the results are, for every command: the option (<c>--data-root</c>,
/// <c>--results</c>), else the host's option (<see cref="ExperimentHostOptions.DataRoot"/>,
/// <see cref="ExperimentHostOptions.ResultsDirectory"/>), both relative to the current directory as any path on a
/// command line; else, while the project's folder (<see cref="ExperimentProject.ProjectDirectory"/>) exists, the
/// folders the build recorded (<see cref="ExperimentProject.DataRoot"/>, <see cref="ExperimentProject.ResultsDirectory"/>)
/// as they are, even nested ones that do not exist yet (<c>out/runs/</c>: the first run creates them), so that from
/// another folder the results do not land in a stray <c>./results</c> while the data comes from the project; else
/// <c>data/</c> and <c>results/</c> of the current directory (the binaries copied elsewhere, or a catalog of an unknown
/// project). Always absolute, so the run header shows where things are.
/// </summary>
internal static class Folders
{
    public const string DataName = "data";
    public const string ResultsName = "results";

    /// <summary>The rule itself, with the project's folder and its configured folder (null when unknown) and the current directory passed in.</summary>
    internal static string Resolve(string? option, string? configured, string? projectDirectory, string? projectFolder, string defaultName, string currentDirectory)
    {
        if ((option ?? configured) is { } given)
        {
            return Path.GetFullPath(given, currentDirectory);
        }

        if (projectFolder is not null && projectDirectory is not null && Directory.Exists(Path.GetFullPath(projectDirectory, currentDirectory)))
        {
            return Path.TrimEndingDirectorySeparator(Path.GetFullPath(projectFolder, currentDirectory));
        }

        return Path.Combine(currentDirectory, defaultName);
    }
}
