using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Experiments.Generated;
using Experiments.History;
using Spectre.Console;
using Spectre.Console.Rendering;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// Stops as they arrive from outside: a signal to the whole process group, delivered twice (a container stop, or
/// <c>kill -TERM -PGID</c> while <c>dotnet run</c> forwards its own copy), <c>timeout</c> expiring, and a terminal
/// that is closed under the run. Each must end in the same orderly stop as one Ctrl+C.
/// </summary>
public sealed class SignalTests
{
    private static readonly string FirstFinished = $"[2/{ExperimentCatalog.All.Count}]";

    [Theory]
    [InlineData("TERM", ExitCodes.Terminated)]
    [InlineData("HUP", ExitCodes.HungUp)]
    public void A_signal_sent_twice_to_the_whole_process_group_stops_the_run_in_order(string signal, int exitCode)
    {
        using var results = new TemporaryDirectory();

        // setsid makes the runner lead a new process group (and session), as a container's first process does.
        using var runner = new RunnerProcess(["setsid"], ["all", "--data-root", RepositoryPaths.Data, "--results", results.Path]);

        // "[2/N]" is printed after the first experiment's result was recorded.
        runner.WaitForOutput(FirstFinished);
        runner.SignalGroup(signal);
        runner.SignalGroup(signal);

        Assert.True(runner.WaitForExit() == exitCode, runner.Output);
        Assert.Contains("Interrupted:", runner.Output, StringComparison.Ordinal);
        StoppedRun.AssertRecordedInOrder(results.Path);
    }

    [Fact]
    public void Under_nohup_a_hangup_does_not_stop_the_run()
    {
        // nohup(1) ignores SIGHUP, and the runner keeps it ignored: a run started so outlives its terminal.
        using var results = new TemporaryDirectory();
        using var runner = new RunnerProcess(
            ["nohup", .. RunnerProcess.PlainCommand(["run", "seed-*", "--data-root", RepositoryPaths.Data, "--results", results.Path])],
            [],
            runnerCommand: false);

        runner.WaitForOutput("[1/2]");
        runner.Signal("HUP");

        Assert.True(runner.WaitForExit() == 0, runner.Output);
        using var store = ResultStore.OpenExisting(results.Path);
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(2, store.ResultsOfRun(run.Id).Count);
    }

    [Fact]
    public void Timeout_expiring_stops_the_run_in_order()
    {
        using var results = new TemporaryDirectory();

        // timeout(1) sends its signal to the runner and then to its whole process group, so the runner gets it twice.
        // It expires on SIGALRM from its own timer; sending that SIGALRM once training is under way expires it then,
        // through the same code, instead of after a duration that a loaded machine may or may not reach.
        using var runner = new RunnerProcess(
            ["timeout", "--preserve-status", "-s", "TERM", "3600"],
            ["all", "--data-root", RepositoryPaths.Data, "--results", results.Path]);

        runner.WaitForOutput(FirstFinished);
        runner.Signal("ALRM");

        Assert.True(runner.WaitForExit() == ExitCodes.Terminated, runner.Output);
        Assert.Contains("Interrupted:", runner.Output, StringComparison.Ordinal);
        StoppedRun.AssertRecordedInOrder(results.Path);
    }

    [Fact]
    public void A_closed_terminal_stops_the_run_in_order_though_its_output_can_no_longer_be_written()
    {
        using var results = new TemporaryDirectory();
        var exitCodeFile = Path.Combine(results.Path, "exit-code");
        var errors = Path.Combine(results.Path, "stderr");

        // script(1) runs a shell on a new terminal (a pty) and copies what it shows to our pipe. The shell does what
        // an interactive one does when its terminal is closed: it passes the SIGHUP on to its job, here the runner,
        // whose writes to the terminal then fail with EIO. It records the runner's exit code in a file, as the runner
        // is not our child. (A background job's standard input is /dev/null, so the runner prints its plain log.)
        var runnerCommand = string.Join(' ', RunnerProcess.Command(["all", "--data-root", RepositoryPaths.Data, "--results", results.Path]).Select(ExperimentPlan.ShellQuote));
        var shell = $$"""
            {{runnerCommand}} 2>{{ExperimentPlan.ShellQuote(errors)}} & child=$!
            trap 'kill -HUP $child' HUP
            wait $child; code=$?
            while kill -0 $child 2>/dev/null; do wait $child; code=$?; done
            echo $code > {{ExperimentPlan.ShellQuote(exitCodeFile)}}
            """;
        using var terminal = new RunnerProcess(["script", "--quiet", "--return", "--command", shell, "/dev/null"], [], new Dictionary<string, string> { ["SHELL"] = "/bin/sh" }, runnerCommand: false);

        terminal.WaitForOutput(FirstFinished);

        // Closing the terminal's window: its master side goes away, and the kernel hangs up the terminal.
        terminal.Signal("KILL");
        terminal.WaitForExit();
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (!File.Exists(exitCodeFile) || File.ReadAllText(exitCodeFile).Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the runner did not exit after its terminal was closed. Output:\n" + terminal.Output);
            Thread.Sleep(100);
        }

        var stderr = File.ReadAllText(errors);
        Assert.True(File.ReadAllText(exitCodeFile).Trim() == ExitCodes.HungUp.ToString(CultureInfo.InvariantCulture), stderr);
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        File.Delete(exitCodeFile);
        File.Delete(errors);
        StoppedRun.AssertRecordedInOrder(results.Path);
    }

    [Fact]
    public void Output_that_fails_after_the_stop_loses_neither_the_run_record_nor_the_result_files()
    {
        // As with a closed terminal: the stop is asked for, and from then on every write to the console fails.
        using var results = new TemporaryDirectory();
        using var stop = new CancellationTokenSource();
        var console = new FailingAfterStopConsole("[2/2]", stop);

        var exitCode = TestHost.Run(["run", "seed-*", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, ExperimentCatalog.All, stop.Token);

        Assert.True(exitCode == ExitCodes.Cancelled, console.Output);
        Assert.True(console.FailedWrites > 0, "no write failed, so this tested nothing");
        using var store = ResultStore.OpenExisting(results.Path);
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.Equal(["seed-literal-softmax"], store.ResultsOfRun(run.Id).Select(r => r.Experiment));
        using var latest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results.Path, "latest.json")));
        Assert.Equal(["seed-literal-softmax"], latest.RootElement.EnumerateArray().Select(r => r.GetProperty("experiment").GetString()));
        Assert.Contains("| seed-literal-softmax |", File.ReadAllText(Path.Combine(results.Path, "latest.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_stop_during_a_download_cancels_it_deletes_its_partial_file_and_records_the_run_interrupted()
    {
        using var scratch = new TemporaryDirectory();
        var dataRoot = scratch.Combine("data");
        var mnist = Path.Combine(dataRoot, "mnist");
        var results = scratch.Combine("results");
        Directory.CreateDirectory(dataRoot);
        Directory.CreateDirectory(results);
        var latest = Path.Combine(results, "latest.json");
        File.WriteAllText(latest, "[\"previous run\"]\n");
        using var server = new StallingServer();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var stop = new CancellationTokenSource();

        // Ctrl+C as soon as the download is under way (its temporary file exists), which then stalls for good.
        var stoppedAt = Stopwatch.StartNew();
        var sawDownload = false;
        var watcher = new Thread(() =>
        {
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (DateTime.UtcNow < deadline && !(sawDownload = Directory.Exists(mnist) && Directory.GetFiles(mnist, "*.download").Length > 0))
            {
                Thread.Sleep(20);
            }

            stoppedAt.Restart();
            stop.Cancel();
        });
        watcher.Start();

        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(
            ["run", "seed-recipe", "--data-root", dataRoot, "--results", results, "--download"],
            console,
            ExperimentCatalog.All,
            options => options with { Mirrors = [server.Mirror], HttpClient = client, SystemSearchDirectories = [], DownloadIdleTimeout = TimeSpan.FromMinutes(10) },
            stop.Token);
        var stopping = stoppedAt.Elapsed;
        watcher.Join();

        Assert.True(sawDownload, "the download never started. Output:\n" + console.Output);
        Assert.True(exitCode == ExitCodes.Cancelled, console.Output);
        Assert.True(stopping < TimeSpan.FromSeconds(60), $"the run took {stopping} to stop"); // not the 10 minutes of the idle timeout
        Assert.Empty(Directory.GetFiles(mnist));
        Assert.Contains("result files were left as they were", console.Output, StringComparison.Ordinal);
        Assert.Equal("[\"previous run\"]\n", File.ReadAllText(latest));
        using var store = ResultStore.OpenExisting(results);
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.Empty(store.ResultsOfRun(run.Id));
    }

    /// <summary>An HTTP server on 127.0.0.1 that answers every request with headers and 10 bytes of a long body, then nothing.</summary>
    private sealed class StallingServer : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly List<TcpClient> clients = [];

        public StallingServer()
        {
            listener.Start();
            Mirror = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/stalled/");
            new Thread(Serve) { IsBackground = true }.Start();
        }

        public Uri Mirror { get; }

        public void Dispose()
        {
            listener.Stop();
            lock (clients)
            {
                clients.ForEach(c => c.Dispose());
            }
        }

        private void Serve()
        {
            try
            {
                while (true)
                {
                    var client = listener.AcceptTcpClient();
                    lock (clients)
                    {
                        clients.Add(client);
                    }

                    var stream = client.GetStream();
                    var request = new StringBuilder();
                    var buffer = new byte[4096];
                    int n;
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && (n = stream.Read(buffer)) > 0)
                    {
                        request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }

                    stream.Write(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\n"));
                    stream.Write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
                }
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                // The server was disposed.
            }
        }
    }

    /// <summary>A test console that asks for the stop when <paramref name="trigger"/> was printed; every write after it fails.</summary>
    private sealed class FailingAfterStopConsole(string trigger, CancellationTokenSource stop) : InterceptingConsole
    {
        public int FailedWrites { get; private set; }

        public override void Write(IRenderable renderable)
        {
            if (stop.IsCancellationRequested)
            {
                FailedWrites++;
                throw new IOException("Input/output error");
            }

            Inner.Write(renderable);
            if (Inner.Output.Contains(trigger, StringComparison.Ordinal))
            {
                stop.Cancel();
            }
        }
    }
}
