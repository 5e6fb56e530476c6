using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Experiments.Runner.Commands;

/// <summary>Options shared by the commands that run experiments.</summary>
public class RunOptions : CommandSettings
{
    [CommandOption("--data-root <DIR>")]
    [Description("Folder holding one folder per dataset (mnist/, fashion-mnist/). Default: the repository's data/.")]
    public string? DataRoot { get; init; }

    [CommandOption("--results <DIR>")]
    [Description("Where latest.json and latest.md are written. Default: results/.")]
    [DefaultValue("results")]
    public string Results { get; init; } = "results";

    [CommandOption("--download")]
    [Description("Download a dataset that is not on disk (from its usual mirrors; verified by SHA-256).")]
    public bool Download { get; init; }

    [CommandOption("--threads <N>")]
    [Description("Threads TorchSharp uses for its math. Default 1: a linear model on mini-batches is bound by per-step overhead, and extra threads spin-wait when the machine is busy.")]
    [DefaultValue(1)]
    public int Threads { get; init; } = 1;

    public override ValidationResult Validate()
    {
        if (Threads < 1)
        {
            return ValidationResult.Error($"--threads must be at least 1, but is {Threads}");
        }

        if (string.IsNullOrWhiteSpace(Results))
        {
            return ValidationResult.Error("--results needs a directory");
        }

        if (DataRoot is not null && string.IsNullOrWhiteSpace(DataRoot))
        {
            return ValidationResult.Error("--data-root needs a directory");
        }

        return ValidationResult.Success();
    }
}
