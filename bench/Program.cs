using System.CommandLine;
using System.Globalization;
using System.Reflection;
using Experiments.Bench;
using Experiments.Data;
using TorchSharp;
using static System.FormattableString;

// The bench: the comparison table of BENCHMARKS.md (table), the validation search behind the best recipes
// (search), and BenchmarkDotNet micro-benchmarks of one training step and of deskewing (steps).
var threads = new Option<int>("--threads") { Description = "TorchSharp math threads (the runner's default is 1).", DefaultValueFactory = _ => 1 };
var repeat = new Option<int>("--repeat") { Description = "Runs of each TorchSharp recipe; the fastest is reported.", DefaultValueFactory = _ => 5 };
// Two by default: a single ML.NET run is its first in the process, JIT included, against TorchSharp's fastest of five.
var mlRepeat = new Option<int>("--ml-repeat") { Description = "Runs of each ML.NET trainer; the fastest is reported.", DefaultValueFactory = _ => 2 };
var skipMlNet = new Option<bool>("--no-mlnet") { Description = "Leave ML.NET out (quick look at the TorchSharp recipes)." };
var write = new Option<bool>("--write") { Description = "Replace the table in BENCHMARKS.md (between its bench markers)." };
var quick = new Option<bool>("--quick") { Description = "Two candidates per family only (a smoke test of the search)." };

var table = new Command("table", "Train the recipes and ML.NET's trainers on MNIST and print (or --write) the comparison table.")
{
    threads, repeat, mlRepeat, skipMlNet, write,
};
table.SetAction(parse =>
{
    var n = parse.GetValue(threads);
    torch.set_num_threads(n);
    var machine = Machine.Describe(n);
    using var store = OpenStore();
    var data = store.Load("mnist");
    var rows = TableBench.Run(data, parse.GetValue(repeat), parse.GetValue(mlRepeat), parse.GetValue(skipMlNet), Console.Out);
    var markdown = TableBench.ToMarkdown(rows);
    var command = "dotnet run -c Release --project bench -- " + string.Join(' ', args);
    var stamp = Invariant($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC with `{command}` on: {machine}.\n\n");
    Console.WriteLine();
    Console.Write(stamp + markdown);
    if (parse.GetValue(write))
    {
        Benchmarks.Replace(Path.Combine(RepositoryRoot(), "BENCHMARKS.md"), stamp + markdown);
        Console.WriteLine("BENCHMARKS.md updated.");
    }

    return 0;
});

var search = new Command("search", "The validation search that chose best-linear and best-deskewed (prints Markdown).") { threads, quick };
search.SetAction(parse =>
{
    torch.set_num_threads(parse.GetValue(threads));
    using var store = OpenStore();
    Console.WriteLine(Invariant($"Validation search, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, on: {Machine.Describe(parse.GetValue(threads))}"));
    Console.WriteLine();
    Search.Run(store.Load("mnist"), Console.Out, parse.GetValue(quick));
    return 0;
});

var steps = new Command("steps", "BenchmarkDotNet: one training step (fast path and autograd) and deskewing, in process.");
steps.SetAction(_ =>
{
    StepBenchmarks.RunAll();
    return 0;
});

var userRuns = new Option<int>("--runs") { Description = "Fresh processes of the command (the median is reported).", DefaultValueFactory = _ => 5 };
var userConfiguration = new Option<string?>("--configuration", "-c") { Description = "Build configuration passed to dotnet run (default: none, as the README's command)." };
var userRepository = new Option<string?>("--repository") { Description = "Checkout whose runner to run (default: this one), e.g. a worktree of an older commit for a before/after." };
var userExperiments = new Argument<string[]>("NAME") { Description = "Experiments to run.", Arity = ArgumentArity.ZeroOrMore };
var userCommand = new Command("user-command", "The README's `dotnet run --project runner -- run NAMES` in fresh processes: the Train column a user sees.")
{
    userRuns, userConfiguration, userRepository, userExperiments,
};
userCommand.SetAction(parse =>
{
    var names = parse.GetValue(userExperiments) is { Length: > 0 } given ? given : ["seed-recipe", "best-deskewed"];
    Console.WriteLine(Invariant($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on: {Machine.Describe(1)}"));
    return UserCommandBench.Run(Path.GetFullPath(parse.GetValue(userRepository) ?? RepositoryRoot()), names, parse.GetValue(userRuns), parse.GetValue(userConfiguration), Console.Out);
});

var family = new Argument<string>("FAMILY") { Description = "mlp, cnn or fashion-cnn." };
var only = new Option<int[]>("--only") { Description = "Train only these candidates (1-based), e.g. --only 1 3.", AllowMultipleArgumentsPerToken = true };
var noFinal = new Option<bool>("--no-final") { Description = "Skip retraining the winner on all training images." };
var probe = new Option<bool>("--probe") { Description = "Time one epoch on 6,400 images per candidate (extrapolated s/epoch), no final." };
var modelSearch = new Command("model-search", "The validation search behind the mlp, cnn and fashion-cnn recipes (prints Markdown).") { family, only, noFinal, probe, threads };
modelSearch.SetAction(parse =>
{
    torch.set_num_threads(parse.GetValue(threads));
    using var store = OpenSystemStore();
    var cache = new Dictionary<string, Dataset>(StringComparer.Ordinal);
    Console.WriteLine(Invariant($"Model search, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, on: {Machine.Describe(parse.GetValue(threads))}"));
    Console.WriteLine();
    ModelSearch.Run(
        name => cache.TryGetValue(name, out var d) ? d : cache[name] = store.Load(name),
        parse.GetValue(family)!,
        parse.GetValue(only) ?? [],
        parse.GetValue(noFinal),
        parse.GetValue(probe),
        Console.Out);
    return 0;
});

var modelRuns = new Option<int>("--runs") { Description = "Runs of each contestant (alternating); the fastest epoch is reported.", DefaultValueFactory = _ => 3 };
var modelEpochs = new Option<int>("--epochs") { Description = "Epochs per run.", DefaultValueFactory = _ => 1 };
var models = new Command("models", "An MLP and a CNN: the framework's Trainer against a hand-written TorchSharp loop, same model and tensors.") { threads, modelRuns, modelEpochs };
models.SetAction(parse =>
{
    var n = parse.GetValue(threads);
    torch.set_num_threads(n);
    var machine = Machine.Describe(n);
    using var store = OpenStore();
    var data = store.Load("mnist");
    var rows = ModelBench.Run(data, parse.GetValue(modelRuns), parse.GetValue(modelEpochs), Console.Out);
    Console.WriteLine();
    Console.WriteLine(Invariant($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC with `dotnet run -c Release --project bench -- {string.Join(' ', args)}` on: {machine}."));
    Console.WriteLine();
    Console.Write(ModelBench.ToMarkdown(rows));
    return 0;
});

var digitsOut = new Option<string?>("--out") { Description = "Folder to write the images into (default: data/digits/images)." };
var digitsImages = new Command("digits-images", "Write data/digits/images/<label>/<row>.png from data/digits/digits.csv.gz (8x8 grey PNG, pixel = round(v x 255 / 16)).") { digitsOut };
digitsImages.SetAction(parse =>
{
    DatasetBench.WriteDigitsImages(RepositoryRoot(), parse.GetValue(digitsOut) ?? Path.Combine(RepositoryRoot(), "data", "digits", "images"), Console.Out);
    return 0;
});

var loadCount = new Option<int>("--count") { Description = "MNIST training images written as PNG files.", DefaultValueFactory = _ => 60000 };
var loadDir = new Option<string?>("--dir") { Description = "Folder for the PNG files (written once; default: a folder under the temp directory)." };
var loadRepeat = new Option<int>("--repeat") { Description = "Repetitions of the cold and warm loads.", DefaultValueFactory = _ => 3 };
var datasetLoad = new Command("dataset-load", "Time loading a folder of 28x28 PNGs: first load (decoding), from the decoded cache, and MNIST's IDX load.") { loadCount, loadDir, loadRepeat };
datasetLoad.SetAction(parse =>
{
    Console.WriteLine(Invariant($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on: {Machine.Describe(1)}"));
    return DatasetBench.MeasureLoad(RepositoryRoot(), parse.GetValue(loadCount), parse.GetValue(loadDir), parse.GetValue(loadRepeat), Console.Out);
});

var queueStore = new Option<string>("--store") { Description = "The store: a PostgreSQL connection (postgresql://...) or an SQLite path.", Required = true };
var queueTasks = new Option<int>("--tasks") { Description = "Tiny tasks in the run.", DefaultValueFactory = _ => 1000 };
var queueWorkers = new Option<int>("--workers") { Description = "Worker processes.", DefaultValueFactory = _ => 4 };
var queue = new Command("queue", "The work queue: many tiny tasks through worker processes; claim and completion times, and no task done twice or missed.") { queueStore, queueTasks, queueWorkers };
queue.SetAction(parse =>
{
    Console.WriteLine(Invariant($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on: {Machine.Describe(1)}; `dotnet run -c Release --project bench -- {string.Join(' ', args)}`"));
    return QueueBench.Run(parse.GetValue(queueStore)!, parse.GetValue(queueTasks), parse.GetValue(queueWorkers), Console.Out);
});
var queueRun = new Option<long>("--run") { Required = true };
var queueIndex = new Option<int>("--index") { Required = true };
var queueWorker = new Command("queue-worker", "One worker process of 'queue' (started by it).") { queueStore, queueRun, queueIndex };
queueWorker.Hidden = true;
queueWorker.SetAction(parse => QueueBench.Work(parse.GetValue(queueStore)!, parse.GetValue(queueRun), parse.GetValue(queueIndex), Console.Out));

var parallelWorkers = new Option<int>("--parallel") { Description = "Worker processes of the parallel runs.", DefaultValueFactory = _ => 2 };
var parallelRuns = new Option<int>("--runs") { Description = "Runs of each command, taken in turns (the median is reported).", DefaultValueFactory = _ => 3 };
var parallelNames = new Argument<string[]>("NAME") { Description = "Experiments to run (default: the shipped linear ones).", Arity = ArgumentArity.ZeroOrMore };
var parallelCommand = new Command("parallel", "The README's `run NAMES --force` in one process against `--parallel N`, fresh processes in turns: the wall-time speed-up.") { parallelWorkers, parallelRuns, parallelNames };
parallelCommand.SetAction(parse =>
{
    string[] linear = ["best-deskewed", "best-linear", "digits-csv", "digits-images", "lr-sweep/*", "seed-literal-softmax", "seed-recipe", "tuned-momentum"];
    var names = parse.GetValue(parallelNames) is { Length: > 0 } given ? given : linear;
    Console.WriteLine(Invariant($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on: {Machine.Describe(1)}"));
    return ParallelBench.Run(RepositoryRoot(), names, parse.GetValue(parallelWorkers), parse.GetValue(parallelRuns), Console.Out);
});

var root = new RootCommand("Benchmarks of the TorchSharp recipes against ML.NET, and the validation search.") { table, search, steps, userCommand, modelSearch, models, digitsImages, datasetLoad, queue, queueWorker, parallelCommand };
return root.Parse(args).Invoke();

/// <summary>The bench's entry point and the helpers its commands share.</summary>
internal static partial class Program
{
    /// <summary>The repository's datasets (data/), as the runner finds them by default.</summary>
    public static DatasetStore OpenStore() => new(new DatasetStoreOptions { DataRoot = Path.Combine(RepositoryRoot(), "data"), Datasets = Experiments.Generated.DatasetCatalog.All });

    /// <summary>As <see cref="OpenStore"/>, and the system's datasets (Fashion-MNIST from the dataset-fashion-mnist package) as the runner finds them.</summary>
    public static DatasetStore OpenSystemStore() => new(new DatasetStoreOptions { DataRoot = Path.Combine(RepositoryRoot(), "data"), SystemSearchDirectories = ["/usr/share/datasets"], Datasets = Experiments.Generated.DatasetCatalog.All });

    /// <summary>The repository root recorded at build time, else the current directory.</summary>
    public static string RepositoryRoot() =>
        typeof(Recipes).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value
        ?? Directory.GetCurrentDirectory();
}
