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

    public override ValidationResult Validate()
    {
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
