using System.Globalization;
using System.Text;
using Experiments.Reporting;

namespace Experiments.Hosting;

/// <summary>
/// The sbatch script of a submitted run (docs/scale-out.md): a job array of <see cref="Workers"/> tasks, each one
/// worker of the run against the shared store. Written to <c>results/submissions/RUN KEY/job.sbatch</c> for users
/// to read, edit and submit again; every value is quoted, for sbatch in its <c>#SBATCH</c> lines and for the shell
/// in the commands.
/// </summary>
internal sealed record SlurmScript
{
    /// <summary>The script's file name in the submission's folder.</summary>
    public const string FileName = "job.sbatch";

    /// <summary>The name a task's worker gets: unique per array task, the same again when Slurm requeues the task.</summary>
    public const string WorkerName = "slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}";

    /// <summary>sbatch's file name pattern of a task's log: the array's job id and the task's index.</summary>
    public const string LogPattern = "slurm-%A_%a.out";

    /// <summary><c>--job-name</c>.</summary>
    public required string JobName { get; init; }

    /// <summary>How many workers (array tasks, <c>--array=0-(K-1)</c>).</summary>
    public required int Workers { get; init; }

    /// <summary><c>--partition</c>, or null for the cluster's default.</summary>
    public string? Partition { get; init; }

    /// <summary><c>--time</c> (any form sbatch takes: <c>MM</c>, <c>HH:MM:SS</c>, <c>D-HH:MM</c>), or null for the partition's default.</summary>
    public string? Time { get; init; }

    /// <summary>The submission's folder (absolute): the tasks' logs go there.</summary>
    public required string Directory { get; init; }

    /// <summary>The store in its password-free form (<see cref="Experiments.History.StoreLocation.Display"/>), exported as <c>EXPERIMENTS_STORE</c>.</summary>
    public required string Store { get; init; }

    /// <summary>The run's key, for the header.</summary>
    public required string RunKey { get; init; }

    /// <summary>The run's id in the store, for the header; null before it is created (<c>--dry-run</c>).</summary>
    public long? RunId { get; init; }

    /// <summary>How a worker starts (<see cref="HostSettings.WorkerCommand"/>).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The worker's arguments; its <see cref="WorkerArguments.Name"/>, <see cref="WorkerArguments.Threads"/> and <see cref="WorkerArguments.Store"/> are the script's own.</summary>
    public required WorkerArguments Worker { get; init; }

    /// <summary>What the header says submitted it (the recorded command line, without a password).</summary>
    public string? SubmittedBy { get; init; }

    /// <summary>Where a task's log goes: <see cref="LogPattern"/> in <see cref="Directory"/>.</summary>
    public string LogPath => Path.Combine(Directory, LogPattern);

    /// <summary>The log file of one task of a submitted array.</summary>
    public static string LogOf(string directory, string jobId, int task) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"slurm-{jobId}_{task}.out"));

    /// <summary>The script's text (Unix line ends).</summary>
    public string Render()
    {
        if (Workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Workers), Workers, "A job array needs at least one task");
        }

        foreach (var (name, value) in new[] { ("job name", JobName), ("partition", Partition), ("time", Time), ("folder", Directory), ("store", Store), ("run key", RunKey) })
        {
            RefuseLineBreaks(name, value);
        }

        foreach (var argument in Command.Concat(Worker.ToArguments()))
        {
            RefuseLineBreaks("worker argument", argument);
        }

        var script = new StringBuilder();
        void Line(string text = "") => script.Append(text).Append('\n');
        void Directive(string option, string value) => Line($"#SBATCH --{option}={DirectiveQuote(value)}");

        Line("#!/bin/bash");
        Line(string.Create(CultureInfo.InvariantCulture, $"# Run key {RunKey}{(RunId is { } id ? $" (run {id} in the store)" : "")}: {Workers} worker(s) of one run, each claiming the next experiment not yet done."));
        if (SubmittedBy is { } submittedBy)
        {
            Line($"# Written by: {submittedBy}");
        }

        Line("# Submit it again (after editing) with: sbatch " + ExperimentPlan.ShellQuote(Path.Combine(Directory, FileName)));
        Directive("job-name", JobName);
        Line(string.Create(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{Workers - 1}"));
        Line("#SBATCH --cpus-per-task=1");
        if (Partition is not null)
        {
            Directive("partition", Partition);
        }

        if (Time is not null)
        {
            Directive("time", Time);
        }

        // Slurm expands %A and %a in the file name; a '%' of the folder itself is written %%.
        var log = Path.Combine(Directory.Replace("%", "%%", StringComparison.Ordinal), LogPattern);
        Directive("output", log);
        Directive("error", log);

        // A task Slurm requeues (node failure, preemption, RequeueExit) runs again as the same worker: it releases
        // what it held and goes on from the checkpoints the first attempt left; its log goes on in the same file.
        Line("#SBATCH --requeue");
        Line("#SBATCH --open-mode=append");
        Line();
        Line("set -euo pipefail");
        Line();
        Line("# The shared run history, without its password: that comes from PGPASSWORD (sbatch passes the");
        Line("# submitting shell's environment to the job) or from ~/.pgpass on the nodes.");
        Line("export " + StoreLocationVariable + "=" + ExperimentPlan.ShellQuote(Store));
        Line();
        Line("echo \"job ${SLURM_JOB_ID} (array job ${SLURM_ARRAY_JOB_ID}, task ${SLURM_ARRAY_TASK_ID}) on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)\"");
        Line();

        // One torch thread per task (--cpus-per-task=1); the name is the array task's, so a requeued task is the same worker.
        var worker = Worker with { Name = NamePlaceholder, Threads = 1, Store = null };
        var words = Command.Select(ExperimentPlan.ShellQuote).ToList();
        var arguments = worker.ToArguments().Select(a => a == NamePlaceholder ? "\"" + WorkerName + "\"" : ExperimentPlan.ShellQuote(a)).ToList();
        script.Append("exec ").Append(string.Join(' ', words));
        var i = 0;
        while (i < arguments.Count)
        {
            // One option and its value per line, then the experiments' names on one line.
            var isOption = arguments[i].StartsWith("--", StringComparison.Ordinal);
            var takesValue = isOption && i + 1 < arguments.Count && !arguments[i + 1].StartsWith("--", StringComparison.Ordinal) && !IsFlag(arguments[i]);
            if (i == 0)
            {
                // The subcommand (worker) stays on the program's line.
                script.Append(' ').Append(arguments[i]);
                i++;
                continue;
            }

            script.Append(" \\\n    ");
            if (!isOption)
            {
                script.Append(string.Join(' ', arguments.Skip(i)));
                break;
            }

            script.Append(arguments[i]);
            if (takesValue)
            {
                script.Append(' ').Append(arguments[i + 1]);
                i++;
            }

            i++;
        }

        script.Append('\n');
        return script.ToString();
    }

    /// <summary><c>EXPERIMENTS_STORE</c>.</summary>
    private const string StoreLocationVariable = Experiments.History.StoreLocation.EnvironmentVariable;

    /// <summary>Stands for the worker's name in <see cref="WorkerArguments.ToArguments"/>: replaced by <see cref="WorkerName"/>, unquoted for the shell to expand.</summary>
    private const string NamePlaceholder = "\u0001name\u0001";

    private static bool IsFlag(string option) => option is "--force" or "--download";

    /// <summary>
    /// A value of an <c>#SBATCH</c> line as sbatch reads it (not the shell): bare when it is plain, else in double
    /// quotes with <c>\</c> and <c>"</c> escaped by a backslash (sbatch takes quotes and backslashes; an unquoted
    /// <c>#</c> or blank would end the value).
    /// </summary>
    internal static string DirectiveQuote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or ':' or '%' or ',' or '+' or '=' or '@')
            ? value
            : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static void RefuseLineBreaks(string name, string? value)
    {
        if (value is not null && value.Any(char.IsControl))
        {
            throw new ArgumentException($"The {name} '{TerminalText.Escape(value)}' holds a control character (a line break?), which no line of an sbatch script can hold: give it without");
        }
    }
}
