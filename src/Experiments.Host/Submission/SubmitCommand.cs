using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Experiments.History;
using Experiments.Reporting;
using Experiments.Running;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// <c>submit (--slurm | --kubernetes) NAMES... [--workers K]</c> (docs/scale-out.md): one run of the experiments,
/// shared out among K workers that a scheduler starts, against a PostgreSQL store. Slurm: an sbatch script of a job
/// array, submitted with <c>sbatch --parsable</c>. Kubernetes: an Indexed Job manifest for <c>kubectl apply -f</c>.
/// The run is created in the store first (its tasks pending, so <c>runs</c> shows it at once); a submission that
/// fails marks it failed, so nothing is left <c>running</c> for ever. <c>--dry-run</c> prints the script or manifest
/// and neither writes nor creates anything.
/// </summary>
internal static partial class SubmitCommand
{
    public const string Name = "submit";

    /// <summary>The folder of the results folder that holds one folder per submission (its run key).</summary>
    public const string SubmissionsFolder = "submissions";

    /// <summary>How long sbatch may take to answer (it waits for slurmctld) before the submission counts as failed.</summary>
    internal static readonly TimeSpan SbatchTimeout = TimeSpan.FromMinutes(2);

    public static Command Create(HostSettings host)
    {
        var console = host.Console;
        var names = new Argument<string[]>("NAME")
        {
            Description = "Experiment names or globs, e.g. seed-recipe or 'seed-*'.",
            Arity = ArgumentArity.OneOrMore,
        };
        var slurm = new Option<bool>("--slurm") { Description = "Submit a Slurm job array of the workers with sbatch." };
        var kubernetes = new Option<bool>("--kubernetes") { Description = "Write a Kubernetes Indexed Job of the workers (kubectl apply -f takes it); needs --image." };
        var workers = new Option<int>("--workers")
        {
            Description = "How many workers (array tasks, or pods) share the experiments out; each trains one at a time with one thread.",
            HelpName = "K",
            DefaultValueFactory = _ => 4,
        };
        workers.Validators.Add(result => AtLeast(result, "--workers", 1, "a run needs at least one worker"));
        var partition = new Option<string>("--partition") { Description = "Slurm: the partition to run in (sbatch --partition). Default: the cluster's.", HelpName = "P" };
        partition.Validators.Add(result => RequireWord(result, "--partition", "a partition's name"));
        var time = new Option<string>("--time") { Description = "Slurm: each task's time limit (sbatch --time: MM, HH:MM:SS, D-HH, D-HH:MM:SS). Default: the partition's.", HelpName = "T" };
        time.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is null || !SlurmTime().IsMatch(value))
            {
                result.AddError($"--time '{TerminalText.Shorten(value ?? "")}' is no Slurm time limit: give minutes (90), HH:MM:SS (01:30:00), D-HH (2-00) or D-HH:MM:SS");
            }
        });
        var image = new Option<string>("--image") { Description = "Kubernetes: the container image that holds this application (required with --kubernetes).", HelpName = "IMAGE" };
        image.Validators.Add(result => RequireWord(result, "--image", "an image, e.g. registry.example.org/lab:1.0"));
        var secret = new Option<string>("--secret") { Description = $"Kubernetes: the Secret whose key '{KubernetesJob.SecretKey}' holds the store's connection string (EXPERIMENTS_STORE in the pods). Default: {KubernetesJob.DefaultSecret}.", HelpName = "NAME" };
        secret.Validators.Add(result => RequireWord(result, "--secret", "a Secret's name"));
        var program = new Option<string>("--command") { Description = $"Kubernetes: the application's program inside the image (words separated by spaces, e.g. 'dotnet /app/lab.dll'). Default: {DefaultImageProgram} (this program's apphost as dotnet publish writes it, in /app).", HelpName = "PROGRAM" };
        program.Validators.Add(result => RequireWord(result, "--command", "the program, e.g. /app/lab", allowSpaces: true));
        var resultsClaim = new Option<string>("--results-claim") { Description = $"Kubernetes: a PersistentVolumeClaim mounted at {KubernetesJob.ResultsPath} for the workers' checkpoints and pictures. Default: none (they stay in the pods).", HelpName = "PVC" };
        resultsClaim.Validators.Add(result => RequireWord(result, "--results-claim", "a PersistentVolumeClaim's name"));
        var lease = new Option<int>("--lease")
        {
            Description = "How long, in seconds, a worker's claim on an experiment holds without renewal (renewed every third of it): a worker not heard from that long is taken for dead, and its experiment is claimed again.",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 60,
        };
        lease.Validators.Add(result => AtLeast(result, "--lease", WorkerArguments.MinimumLeaseSeconds, "a worker renews its claim every third of it"));
        var force = new Option<bool>("--force") { Description = "Train every experiment again, even one with a completed result in the run history (the run cache)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the script (or manifest) and stop: nothing is written, created or submitted." };
        var store = HistoryCommands.StoreOption(host);
        var results = HistoryCommands.ResultsOption(host);
        var dataRoot = new Option<string>("--data-root") { Description = $"Slurm: the data root the workers read (on a file system every node sees). Kubernetes: the data root inside the image. Default: {host.DataRoot(null)} (Slurm), the image's own (Kubernetes).", HelpName = "DIR" };
        dataRoot.Validators.Add(result => CommandLineApp.RequireText(result, "--data-root"));
        var command = new Command(Name, "Submit one run of the experiments whose names match to a Slurm job array (--slurm) or write it as a Kubernetes Indexed Job (--kubernetes): K workers share them out through a PostgreSQL store (--store or EXPERIMENTS_STORE).")
        {
            names, slurm, kubernetes, workers, partition, time, image, secret, program, resultsClaim, lease, force, dryRun, store, results, dataRoot,
        };
        command.Validators.Add(result =>
        {
            var (isSlurm, isKubernetes) = (result.GetValue(slurm), result.GetValue(kubernetes));
            if (isSlurm == isKubernetes)
            {
                result.AddError(isSlurm
                    ? "--slurm and --kubernetes cannot be used together: one run is submitted to one scheduler"
                    : "submit needs a scheduler: --slurm (an sbatch job array) or --kubernetes (an Indexed Job manifest)");
                return;
            }

            if (isSlurm && Given(result, image, secret, program, resultsClaim) is { } kubernetesOnly)
            {
                result.AddError($"{kubernetesOnly} is an option of --kubernetes; a Slurm job runs this application as it is on this machine (for other nodes, on a shared file system)");
            }

            if (isKubernetes && Given(result, partition, time) is { } slurmOnly)
            {
                result.AddError($"{slurmOnly} is an option of --slurm; for Kubernetes, edit the manifest's resources, or use the cluster's defaults");
            }

            if (isKubernetes && result.GetResult(image) is null)
            {
                result.AddError("--kubernetes needs --image IMAGE: the container image the pods run (holding this application, e.g. built from its publish folder)");
            }
        });
        command.SetAction(parse =>
        {
            var patterns = parse.GetValue(names)!;
            if (patterns.FirstOrDefault(p => p.StartsWith('-')) is { } unknownOption)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] Unrecognized option '{TerminalText.Shorten(unknownOption)}'; the options of submit are --slurm, --kubernetes, --workers, --partition, --time, --image, --secret, --command, --results-claim, --lease, --force, --dry-run, --store, --results and --data-root");
                return ExitCodes.UsageError;
            }

            var request = new SubmitRequest
            {
                Patterns = patterns,
                Kubernetes = parse.GetValue(kubernetes),
                Workers = parse.GetValue(workers),
                Partition = parse.GetValue(partition),
                Time = parse.GetValue(time),
                Image = parse.GetValue(image),
                Secret = parse.GetValue(secret) ?? KubernetesJob.DefaultSecret,
                Program = parse.GetValue(program),
                ResultsClaim = parse.GetValue(resultsClaim),
                LeaseSeconds = parse.GetValue(lease),
                Force = parse.GetValue(force),
                DryRun = parse.GetValue(dryRun),
                Store = parse.GetValue(store),
                Results = parse.GetValue(results),
                DataRoot = parse.GetValue(dataRoot),
            };
            return new Submission(host, request).Execute();
        });
        return command;
    }

    /// <summary>The worker's program in a container image when <c>--command</c> is not given: this program's apphost under <c>/app</c>.</summary>
    internal static string DefaultImageProgram => "/app/" + ProgramFileName;

    /// <summary>This program's name (its entry assembly's, as its apphost is named): the Slurm job's name, and the program in an image.</summary>
    internal static string ProgramFileName =>
        System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name is { Length: > 0 } name ? name : CommandLineApp.ProgramName;

    /// <summary>sbatch's forms of a time limit: minutes[:seconds], hours:minutes:seconds, days-hours[:minutes[:seconds]], or no limit.</summary>
    [GeneratedRegex(@"^(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|(?i:unlimited|infinite))$", RegexOptions.CultureInvariant)]
    private static partial Regex SlurmTime();

    /// <summary>The first of <paramref name="options"/> given on the command line, by its name.</summary>
    private static string? Given(CommandResult result, params Option[] options) =>
        options.FirstOrDefault(o => result.GetResult(o) is { Implicit: false })?.Name;

    private static void AtLeast(OptionResult result, string name, int minimum, string why)
    {
        // A value that is not a number is reported by the parser itself.
        if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value < minimum)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be at least {minimum} ({why}), but is {value}"));
        }
    }

    private static void RequireWord(OptionResult result, string name, string what, bool allowSpaces = false)
    {
        var value = result.GetValueOrDefault<string>();
        if (string.IsNullOrWhiteSpace(value))
        {
            result.AddError($"{name} needs {what}");
        }
        else if (value.StartsWith("--", StringComparison.Ordinal))
        {
            result.AddError($"{name} needs {what}, but is followed by the option '{TerminalText.Shorten(value)}'");
        }
        else if (value.Any(c => char.IsControl(c) || (!allowSpaces && char.IsWhiteSpace(c))))
        {
            result.AddError($"{name} '{TerminalText.Shorten(TerminalText.Escape(value))}' holds {(allowSpaces ? "a control character" : "a blank or a control character")}: give {what}");
        }
    }

    /// <summary>A new run key: when (UTC, to the second) and 24 random bits, e.g. <c>20261202-001805-3fa9c1</c> (a valid Kubernetes label value).</summary>
    internal static string NewRunKey(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>The folder of a submission's script and logs: <c>RESULTS/submissions/RUN KEY</c>.</summary>
    internal static string SubmissionDirectory(string resultsDirectory, string runKey) =>
        Path.Combine(Path.GetFullPath(resultsDirectory), SubmissionsFolder, runKey);
}

/// <summary>What <c>submit</c> was asked for, as parsed.</summary>
internal sealed record SubmitRequest
{
    public required IReadOnlyList<string> Patterns { get; init; }

    public bool Kubernetes { get; init; }

    public int Workers { get; init; } = 4;

    public string? Partition { get; init; }

    public string? Time { get; init; }

    public string? Image { get; init; }

    public string Secret { get; init; } = KubernetesJob.DefaultSecret;

    public string? Program { get; init; }

    public string? ResultsClaim { get; init; }

    public int LeaseSeconds { get; init; } = 60;

    public bool Force { get; init; }

    public bool DryRun { get; init; }

    public string? Store { get; init; }

    public string? Results { get; init; }

    public string? DataRoot { get; init; }

    /// <summary>The command line as the run records it: the store in its password-free form, every value shell-quoted.</summary>
    public string CommandLine(StoreLocation store)
    {
        var words = new List<string> { CommandLineApp.ProgramName, SubmitCommand.Name, Kubernetes ? "--kubernetes" : "--slurm", "--workers", Workers.ToString(CultureInfo.InvariantCulture) };
        void Add(string option, string? value)
        {
            if (value is not null)
            {
                words.Add(option);
                words.Add(value);
            }
        }

        Add("--partition", Partition);
        Add("--time", Time);
        Add("--image", Image);
        Add("--secret", Kubernetes ? Secret : null);
        Add("--command", Program);
        Add("--results-claim", ResultsClaim);
        Add("--lease", LeaseSeconds.ToString(CultureInfo.InvariantCulture));
        Add("--store", Store is null ? null : store.Display);
        Add("--results", Results);
        Add("--data-root", DataRoot);
        if (Force)
        {
            words.Add("--force");
        }

        words.AddRange(Patterns);
        return string.Join(' ', words.Select(ExperimentPlan.ShellQuote));
    }
}

/// <summary>One <c>submit</c>: checks, then the run, the script or manifest, and for Slurm sbatch.</summary>
internal sealed class Submission(HostSettings host, SubmitRequest request)
{
    private readonly IAnsiConsole console = host.Console;

    public int Execute()
    {
        IReadOnlyList<IExperiment> selected;
        StoreLocation store;
        try
        {
            selected = ExperimentSelector.Select(host.Catalog.Experiments, request.Patterns);
        }
        catch (ArgumentException exception)
        {
            return Error(exception.Message);
        }

        var resultsDirectory = Path.GetFullPath(host.Results(request.Results));
        try
        {
            store = host.Store(request.Store, resultsDirectory);
        }
        catch (UsageException exception)
        {
            return Error(exception.Message);
        }

        if (store.Kind != StoreKind.PostgreSql)
        {
            return Error($"submit needs a PostgreSQL store that every worker reaches, but the run history is the SQLite file {store.Display}, which the nodes of a job array cannot share. Give one with --store postgresql://user@host:port/database (or the environment variable {StoreLocation.EnvironmentVariable}); the password best from PGPASSWORD or ~/.pgpass");
        }

        var runKey = SubmitCommand.NewRunKey(DateTimeOffset.UtcNow);
        var directory = SubmitCommand.SubmissionDirectory(resultsDirectory, runKey);
        var commandLine = request.CommandLine(store);
        if (request.DryRun)
        {
            string text;
            try
            {
                text = Render(store, selected, runKey, directory, resultsDirectory, runId: null, commandLine);
            }
            catch (ArgumentException exception)
            {
                return Error(exception.Message);
            }

            // As it is, for copying: not through the console's markup or line wrapping.
            var output = console.Profile.Out.Writer;
            output.Write(text);
            output.Flush();
            console.MarkupLineInterpolated(TerminalText.Format, $"[grey]Dry run: nothing was written, created or submitted ({(request.Kubernetes ? "the manifest" : "the script")} would go to {Path.Combine(directory, request.Kubernetes ? KubernetesJob.FileName : SlurmScript.FileName)}).[/]");
            WarnAboutIdleWorkers(selected.Count);
            return ExitCodes.Success;
        }

        using var opened = Open(store);
        if (opened is not { } resultStore)
        {
            return ExitCodes.UsageError;
        }

        var queue = new WorkQueue(resultStore, new WorkQueueOptions { LeaseDuration = TimeSpan.FromSeconds(request.LeaseSeconds) });
        long runId;
        try
        {
            // Unknown recorder: this process ends at once, and the run lives on in its workers (docs/scale-out.md).
            var info = RunInfo.Capture(commandLine, host.GitDirectory) with { RecordedBy = null };
            runId = queue.CreateRun(runKey, info, selected.Select(e => e.Name).ToList(), new RunScheduling(request.Kubernetes ? Schedulers.Kubernetes : Schedulers.Slurm, request.Workers), DateTimeOffset.UtcNow);
        }
        catch (StoreException exception)
        {
            return Error($"cannot create the run in {store.Display}: {exception.Message}");
        }

        string file;
        try
        {
            var text = Render(store, selected, runKey, directory, resultsDirectory, runId, commandLine);
            Directory.CreateDirectory(directory);
            file = Path.Combine(directory, request.Kubernetes ? KubernetesJob.FileName : SlurmScript.FileName);
            File.WriteAllText(file, text);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            Fail(resultStore, runId);
            return Error($"cannot write the submission of run {runId} to {directory}: {exception.Message}; run {runId} is marked failed. Make the results folder writable, or pass --results DIR");
        }

        var exitCode = request.Kubernetes
            ? Kubernetes(runId, runKey, file)
            : Slurm(queue, resultStore, store, runId, directory, file);
        WarnAboutIdleWorkers(selected.Count);
        return exitCode;
    }

    /// <summary>After the script or manifest (which stays whole for copying): more workers than experiments.</summary>
    private void WarnAboutIdleWorkers(int experiments)
    {
        if (request.Workers > experiments)
        {
            Warn(string.Create(CultureInfo.InvariantCulture, $"{request.Workers} workers for {experiments} experiment(s): {request.Workers - experiments} will find nothing to claim and end at once (--workers {experiments} would do)"));
        }
    }

    private string Render(StoreLocation store, IReadOnlyList<IExperiment> selected, string runKey, string directory, string resultsDirectory, long? runId, string commandLine)
    {
        var experiments = selected.Select(e => e.Name).ToList();
        if (request.Kubernetes)
        {
            var program = request.Program?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [SubmitCommand.DefaultImageProgram];
            return new KubernetesJob
            {
                Name = KubernetesJob.JobNameFor(SubmitCommand.ProgramFileName, runKey),
                RunKey = runKey,
                RunId = runId,
                Workers = request.Workers,
                Image = request.Image!,
                Command = program,
                Secret = request.Secret,
                ResultsClaim = request.ResultsClaim,

                // Paths of the image, not of this machine: only what was given for it.
                Worker = new WorkerArguments(runKey, experiments) { DataRoot = request.DataRoot, Force = request.Force, LeaseSeconds = request.LeaseSeconds },
            }.Render();
        }

        return new SlurmScript
        {
            JobName = SubmitCommand.ProgramFileName,
            Workers = request.Workers,
            Partition = request.Partition,
            Time = request.Time,
            Directory = directory,
            Store = WorkerStore(store),
            RunKey = runKey,
            RunId = runId,
            Command = host.WorkerCommand,
            SubmittedBy = commandLine,

            // The nodes see this machine's paths (a shared file system): the results and data folders as resolved here.
            Worker = new WorkerArguments(runKey, experiments)
            {
                Results = resultsDirectory,
                DataRoot = Path.GetFullPath(host.DataRoot(request.DataRoot)),
                Force = request.Force,
                LeaseSeconds = request.LeaseSeconds,
            },
        }.Render();
    }

    private int Slurm(WorkQueue queue, ResultStore store, StoreLocation location, long runId, string directory, string file)
    {
        var (exitCode, output, error, problem) = Sbatch(file, Password(location));
        if (problem is not null || exitCode != 0)
        {
            Fail(store, runId);
            var why = problem ?? string.Create(CultureInfo.InvariantCulture, $"sbatch --parsable exited with {exitCode}{(error.Length == 0 ? "" : ": " + error)}");
            return Error($"{why}. Run {runId} is marked failed (nothing of it runs); the script is kept in {file}", ExitCodes.ExperimentFailed);
        }

        // --parsable prints "JOBID" or "JOBID;CLUSTER".
        var jobId = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()?.Split(';')[0] ?? "";
        if (!jobId.All(char.IsAsciiDigit) || jobId.Length == 0)
        {
            // sbatch succeeded: the job may well run, so the run is not failed; squeue knows its id.
            return Error($"sbatch accepted {file} but printed no job id ('{TerminalText.Shorten(output.Trim())}'); run {runId} goes on as its workers start: find the job with squeue --me", ExitCodes.ExperimentFailed);
        }

        try
        {
            queue.SetJobId(runId, jobId);
        }
        catch (StoreException exception)
        {
            Warn($"cannot record Slurm job {jobId} with run {runId}: {exception.Message}");
        }

        var app = host.ApplicationName;
        var storeArgument = request.Store is null ? "" : " --store " + ExperimentPlan.ShellQuote(location.Display);
        Say($"Submitted run {runId} as Slurm job {jobId} ({request.Workers} task{(request.Workers == 1 ? "" : "s")})");
        Say($"  script: {file}");
        Say($"  follow: squeue -j {jobId}");
        Say($"          {app} runs{storeArgument}");
        Say($"          {app} show {runId}{storeArgument}");
        Say($"  logs:   {Path.Combine(directory, $"slurm-{jobId}_*.out")}");
        return ExitCodes.Success;
    }

    private int Kubernetes(long runId, string runKey, string file)
    {
        var app = host.ApplicationName;
        Say($"Wrote run {runId} as a Kubernetes Indexed Job of {request.Workers} worker{(request.Workers == 1 ? "" : "s")} to {file}");
        Say($"  the store's connection comes from the Secret '{request.Secret}' (key '{KubernetesJob.SecretKey}'), e.g.:");
        Say($"          kubectl create secret generic {request.Secret} --from-literal={KubernetesJob.SecretKey}='postgresql://user:PASSWORD@host:5432/database'");
        Say($"  submit: kubectl apply -f {ExperimentPlan.ShellQuote(file)}");
        Say($"  follow: kubectl get pods -l {KubernetesJob.RunKeyLabel}={runKey}");
        Say($"          {app} runs");
        Say($"          {app} show {runId}");
        return ExitCodes.Success;
    }

    /// <summary>
    /// Runs <c>sbatch --parsable FILE</c> (found on PATH). A password of the store's connection goes to sbatch, and
    /// through it to the job, as <c>PGPASSWORD</c> in its environment, never in the script; one of PGPASSWORD itself
    /// is passed as it is.
    /// </summary>
    private static (int ExitCode, string Output, string Error, string? Problem) Sbatch(string file, string? password)
    {
        var start = new System.Diagnostics.ProcessStartInfo("sbatch")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--parsable");
        start.ArgumentList.Add(file);
        if (password is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PGPASSWORD")))
        {
            start.Environment["PGPASSWORD"] = password;
        }

        try
        {
            using var process = System.Diagnostics.Process.Start(start);
            if (process is null)
            {
                return (-1, "", "", "sbatch could not be started");
            }

            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(SubmitCommand.SbatchTimeout))
            {
                process.Kill(entireProcessTree: true);
                return (-1, "", "", string.Create(CultureInfo.InvariantCulture, $"sbatch did not answer within {SubmitCommand.SbatchTimeout.TotalSeconds:0} s (is slurmctld reachable? scontrol ping tells)"));
            }

            process.WaitForExit();
            return (process.ExitCode, output.GetAwaiter().GetResult(), TerminalText.Shorten(error.GetAwaiter().GetResult().Trim()), null);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return (-1, "", "", $"sbatch cannot be run ({exception.Message}): submit needs Slurm's sbatch on PATH, e.g. on the cluster's login node (Debian: apt-get install slurm-client), or run the script there with sbatch");
        }
    }

    /// <summary>
    /// The store as the script exports it, without its password: <see cref="StoreLocation.Display"/> when that names the
    /// same connection, else the connection string without the password (its SSL mode, search path and other settings
    /// kept, which the display leaves out).
    /// </summary>
    internal static string WorkerStore(StoreLocation store)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(store.Target);
        builder.Remove("Password");
        builder.Remove("SSL Password");
        try
        {
            if (new Npgsql.NpgsqlConnectionStringBuilder(StoreLocation.Parse(store.Display, Environment.CurrentDirectory).Target).EquivalentTo(builder))
            {
                return store.Display;
            }
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            // The display is no connection of its own: the keywords are.
        }

        return builder.ConnectionString;
    }

    /// <summary>The password of a PostgreSQL connection string, or null.</summary>
    private static string? Password(StoreLocation store)
    {
        if (store.Kind != StoreKind.PostgreSql)
        {
            return null;
        }

        try
        {
            var password = new Npgsql.NpgsqlConnectionStringBuilder(store.Target).Password;
            return string.IsNullOrEmpty(password) ? null : password;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private ResultStore? Open(StoreLocation store)
    {
        try
        {
            return StoreAccess.Open(store, create: true, console);
        }
        catch (Exception exception) when (exception is StoreException or UsageException)
        {
            Error(exception.Message);
            return null;
        }
    }

    /// <summary>A run whose workers will never start: failed now, rather than running for ever.</summary>
    private void Fail(ResultStore store, long runId)
    {
        try
        {
            store.FinishRun(runId, RunStatus.Failed, DateTimeOffset.UtcNow);
        }
        catch (StoreException exception)
        {
            Warn($"cannot mark run {runId} failed: {exception.Message}");
        }
    }

    private int Error(string message, int exitCode = ExitCodes.UsageError)
    {
        console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {message}");
        return exitCode;
    }

    private void Warn(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {message}");

    private void Say(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"{message}");
}
