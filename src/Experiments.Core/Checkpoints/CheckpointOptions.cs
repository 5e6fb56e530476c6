namespace Experiments.Checkpoints;

/// <summary>
/// Where the trainer writes an experiment's checkpoint (<see cref="ExperimentContext.Checkpoints"/>): the experiment's
/// own folder under the run's results folder, e.g. <c>results/12/cnn/</c>. A completed experiment leaves
/// <see cref="CheckpointFiles.Model"/> and <see cref="CheckpointFiles.Config"/> there.
/// </summary>
/// <param name="Directory">The experiment's folder (created when missing).</param>
public sealed record CheckpointOptions(string Directory)
{
    /// <summary>
    /// The folder of an interrupted training of the same experiment (same configuration, code and dataset) to go on
    /// from, at its last finished epoch; null to train from the start.
    /// </summary>
    public string? ResumeFrom { get; init; }
}

/// <summary>The names of a checkpoint's files in its folder.</summary>
public static class CheckpointFiles
{
    /// <summary>The trained weights: every entry of the model's <c>state_dict()</c> under PyTorch's names, in the safetensors format.</summary>
    public const string Model = "model.safetensors";

    /// <summary>The resolved experiment: hyperparameters, architecture, dataset description and preprocessing (<see cref="ExperimentConfig"/>).</summary>
    public const string Config = "config.json";
}

/// <summary>One file of a checkpoint as the run history records it.</summary>
/// <param name="Name">The file's name in the checkpoint's folder, e.g. <c>model.safetensors</c>.</param>
/// <param name="Sha256">SHA-256 of its bytes, lower-case hex.</param>
/// <param name="Bytes">Its length.</param>
public sealed record CheckpointFile(string Name, string Sha256, long Bytes);

/// <summary>Where a completed experiment's checkpoint is and what its files hold.</summary>
/// <param name="Directory">
/// The checkpoint's folder: relative to the results folder (the run history's folder) when it is inside it, as the
/// history stores it, else absolute.
/// </param>
/// <param name="Files">Its files with their SHA-256s.</param>
public sealed record CheckpointRecord(string Directory, IReadOnlyList<CheckpointFile> Files)
{
    /// <summary>The checkpoint's folder on disk: <see cref="Directory"/> resolved against <paramref name="resultsDirectory"/>.</summary>
    public string FullDirectory(string resultsDirectory) => Path.GetFullPath(Path.Combine(resultsDirectory, Directory));

    /// <summary>The record of the file named <paramref name="name"/>, or null.</summary>
    public CheckpointFile? File(string name) => Files.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));
}
