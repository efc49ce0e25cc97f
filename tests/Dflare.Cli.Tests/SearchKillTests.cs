using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Dflare.Cli.Tests;

/// <summary>
/// Kill tests: the built tool searches the demo pair in a child process, is interrupted (SIGINT) or killed (SIGKILL)
/// once a few seeds have finished, then <c>--resume</c> continues it. The final results.json must equal an uninterrupted
/// run's (timings aside), and the seeds that had finished must not be searched again.
/// </summary>
public sealed class SearchKillTests(SearchKillTests.Folder folder) : IClassFixture<SearchKillTests.Folder>
{
    /// <summary>The tests' folder, with the uninterrupted run made once for all of them.</summary>
    public sealed class Folder : IDisposable
    {
        public string Dir { get; } = Directory.CreateTempSubdirectory("dflare-kill-").FullName;
        public void Dispose() => Directory.Delete(Dir, recursive: true);
    }

    private readonly string _dir = folder.Dir;

    private static string DemoFile(string name) => Path.Combine(AppContext.BaseDirectory, "Demo", name);

    private static string[] Args(string outDir, params string[] extra) =>
    [
        "search", "--original", DemoFile("fashion-lenet.onnx"), "--compressed", DemoFile("fashion-lenet.int8.onnx"),
        // Bounded at L∞ 8, where few seeds trigger: most spend the whole budget, so the run is still going when it is stopped.
        "--seeds", DemoFile("seeds"), "--budget", "16000", "--max-linf", "8", "--out", outDir, "--threads", "2", "--lock-step", "4",
        .. extra.Contains("--limit") ? [] : new[] { "--limit", "24" }, .. extra,
    ];

    /// <summary>Sends SIGINT (what Ctrl+C sends) straight from this process (no helper process to start, so it lands at once).</summary>
    private static void Interrupt(Process p) => Kill(p.Id, 2).Should().Be(0, "kill(pid, SIGINT) succeeds");

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public void Sigint_marks_results_partial_and_resume_gives_the_uninterrupted_results()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "sends POSIX signals");
        var reference = Reference();
        var dir = Path.Combine(_dir, "sigint");
        var (code, _, stderr, finished) = RunAndStop(dir, Interrupt);

        code.Should().Be(130, stderr);
        stderr.Should().Contain("interrupted").And.Contain("--resume").And.NotContain("   at ");
        var partial = Json(dir);
        partial["partial"]!["seedsPlanned"]!.GetValue<int>().Should().Be(24);
        partial["partial"]!["note"]!.GetValue<string>().Should().EndWith("continue the run with --resume for its results.", "the CLI names its flag");
        int done = partial["partial"]!["seedsFinished"]!.GetValue<int>();
        done.Should().BeInRange(finished, 23, "the seeds journalled before the signal are in the partial results, and the run had not finished");
        partial["seeds"]!.AsArray().Count.Should().Be(done);
        var summary = partial["summary"]!.AsObject();
        summary["partial"]!.GetValue<bool>().Should().BeTrue();
        summary.ContainsKey("successRate").Should().BeFalse("a partial run's rates are labelled as partial");
        summary.ContainsKey("partialSuccessRate").Should().BeTrue();
        File.Exists(Path.Combine(dir, "journal.jsonl")).Should().BeTrue("the journal stays for --resume");

        Resume(dir, done, reference);
    }

    [Fact]
    public void Sigkill_loses_no_finished_seed_and_resume_gives_the_uninterrupted_results()
    {
        var reference = Reference();
        var dir = Path.Combine(_dir, "sigkill");
        var (_, _, _, finished) = RunAndStop(dir, p => p.Kill());

        File.Exists(Path.Combine(dir, "results.json")).Should().BeFalse("a killed process writes no results.json");
        int journalled = SeedLines(dir);
        journalled.Should().BeInRange(finished, 23, "every seed journalled before the kill survives it");

        Resume(dir, journalled, reference);
    }

    [Fact]
    public void A_rerun_into_the_same_folder_removes_trigger_pictures_it_does_not_list()
    {
        var dir = Path.Combine(_dir, "rerun");
        CliRunner.Run(Args(dir, "--limit", "12")).ExitCode.Should().Be(0);
        var before = Directory.GetFiles(Path.Combine(dir, "triggers"));
        before.Should().NotBeEmpty();
        var rerun = CliRunner.Run(Args(dir, "--offset", "12", "--limit", "3"));
        rerun.ExitCode.Should().Be(0, rerun.ToString());
        var listed = Json(dir)["seeds"]!.AsArray().SelectMany(s => new[] { (string?)s!["image"], (string?)s["input"] })
            .OfType<string>().Select(p => Path.GetFileName(p)).Order().ToArray();
        Directory.GetFiles(Path.Combine(dir, "triggers")).Select(Path.GetFileName).Order().Should().Equal(listed);
    }

    /// <summary>The uninterrupted run's results (seeded; the default lock-step).</summary>
    private JsonObject Reference()
    {
        var dir = Path.Combine(_dir, "reference");
        if (!File.Exists(Path.Combine(dir, "results.json")))
        {
            var r = CliRunner.Run(Args(dir));
            r.ExitCode.Should().Be(0, r.ToString());
            File.Exists(Path.Combine(dir, "journal.jsonl")).Should().BeFalse("a finished run removes its journal");
        }
        return Json(dir);
    }

    /// <summary>
    /// Starts the search, waits until three seeds are journalled, then stops it with <paramref name="stop"/>. Four seeds are
    /// searched at a time, so most of the run is still to come when it is stopped.
    /// </summary>
    private static (int Code, string StdOut, string StdErr, int FinishedAtStop) RunAndStop(string dir, Action<Process> stop)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(CliRunner.ToolDll);
        foreach (var a in Args(dir)) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        int finished;
        while ((finished = SeedLines(dir)) < 3)
        {
            if (p.HasExited) throw new InvalidOperationException($"the search ended before it could be stopped:\n{stdout.Result}\n{stderr.Result}");
            if (deadline.Elapsed > TimeSpan.FromMinutes(2)) { p.Kill(true); throw new TimeoutException("no seed finished in 2 minutes"); }
            Thread.Sleep(20);
        }
        stop(p);
        p.WaitForExit(TimeSpan.FromMinutes(2)).Should().BeTrue();
        return (p.ExitCode, stdout.Result, stderr.Result, finished);
    }

    private static void Resume(string dir, int finishedBefore, JsonObject reference)
    {
        var r = CliRunner.Run(Args(dir, "--resume"));
        r.ExitCode.Should().Be(0, r.ToString());
        r.StdOut.Should().Contain($"Resuming: {finishedBefore} of 24 seeds had finished; searching the other {24 - finishedBefore}.",
            "the finished seeds are read from the journal, not searched again");
        File.Exists(Path.Combine(dir, "journal.jsonl")).Should().BeFalse("a completed run removes its journal");
        Same(WithoutTimings(Json(dir)), WithoutTimings(reference), "$");
        Directory.GetFiles(Path.Combine(dir, "triggers")).Select(Path.GetFileName).Order()
            .Should().Equal(Directory.GetFiles(Path.Combine(Path.GetDirectoryName(dir)!, "reference", "triggers")).Select(Path.GetFileName).Order());
    }

    /// <summary>
    /// Asserts two results are the same: every label, status, query count, distance and mutation exactly; probabilities
    /// to 1e-6, since ONNX Runtime's one-image batches (the tail of a run, which differs after a resume) can differ
    /// from batched ones in the last float digit.
    /// </summary>
    private static void Same(JsonNode? a, JsonNode? b, string path)
    {
        switch (a)
        {
            case JsonObject o:
                b.Should().BeOfType<JsonObject>(path);
                o.Select(p => p.Key).Should().Equal(b!.AsObject().Select(p => p.Key), path);
                foreach (var (k, v) in o) Same(v, b[k], $"{path}.{k}");
                break;
            case JsonArray x:
                b.Should().BeOfType<JsonArray>(path);
                x.Count.Should().Be(b!.AsArray().Count, path);
                for (int i = 0; i < x.Count; i++) Same(x[i], b[i], $"{path}[{i}]");
                break;
            default:
                if (path.Contains("Probabilities[", StringComparison.Ordinal))
                    a!.GetValue<double>().Should().BeApproximately(b!.GetValue<double>(), 1e-6, path);
                else JsonNode.DeepEquals(a, b).Should().BeTrue($"{path}: {a?.ToJsonString()} vs {b?.ToJsonString()}");
                break;
        }
    }

    private static int SeedLines(string dir)
    {
        var path = Path.Combine(dir, "journal.jsonl");
        if (!File.Exists(path)) return 0;
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(s);
        return Math.Max(0, reader.ReadToEnd().Count(ch => ch == '\n') - 1);
    }

    private static JsonObject Json(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!.AsObject();

    /// <summary>The results without wall times and the count of images the models evaluated (it depends on batching and speculation).</summary>
    private static JsonNode WithoutTimings(JsonNode node)
    {
        var copy = node.DeepClone();
        void Strip(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                o.Remove("seconds");
                o.Remove("modelQueries");
                foreach (var (_, v) in o.ToArray()) Strip(v);
            }
            else if (n is JsonArray a) foreach (var v in a) Strip(v);
        }
        Strip(copy);
        return copy;
    }
}
