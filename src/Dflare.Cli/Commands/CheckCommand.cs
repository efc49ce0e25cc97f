using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dflare.Check;
using Dflare.Reports;
using Dflare.Snapshots;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare check --original A.onnx --compressed B.onnx --seeds PATH [--snapshots DIR]</c>: the gate's deviation check
/// (<see cref="DeviationCheck"/>) outside a test run. Exit 0 when it passes, 1 when it found a problem, 2 on bad input.
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var original = new Option<string>("--original") { Description = "The original ONNX model.", Required = true };
        var compressed = new Option<string>("--compressed") { Description = "The compressed ONNX model to check against it.", Required = true };
        var seeds = new SeedOptionSet();
        var shard = new Option<string?>("--shard") { Description = "i/n: check only the i-th of n deterministic slices of the seeds." };
        var budget = new Option<long>("--budget") { Description = "Model queries per seed.", DefaultValueFactory = _ => CheckDefaults.Budget };
        var runSeed = new Option<ulong>("--seed") { Description = "Run seed of the search.", DefaultValueFactory = _ => 0 };
        var strategy = new Option<string>("--strategy") { Description = $"Search strategy (default {CheckDefaults.Strategy}).", DefaultValueFactory = _ => CheckDefaults.Strategy };
        var minMargin = new Option<double>("--min-margin") { Description = "A deviation counts only when both models' top-1 margin is at least this.", DefaultValueFactory = _ => CheckDefaults.MinMargin };
        var maxLinf = new Option<int>("--max-linf") { Description = "A deviation counts only within N grey levels of its seed (0 = unbounded).", DefaultValueFactory = _ => CheckDefaults.MaxLInf };
        var minSsim = new Option<double?>("--min-ssim") { Description = "Mutants keep at least this SSIM to the seed." };
        var maxRate = new Option<double?>("--max-deviation-rate") { Description = "Fail only when the deviation rate is above this (0-1), instead of on any new deviation." };
        var allowed = new Option<int>("--allowed-deviations") { Description = "New deviations tolerated.", DefaultValueFactory = _ => 0 };
        var failOnFixed = new Option<bool>("--fail-on-fixed") { Description = "Accepted deviations that no longer deviate fail too." };
        var snapshots = new Option<string?>("--snapshots") { Description = "Folder of the accepted (*.verified.*) and received (*.received.*) snapshots; without it nothing is replayed or written." };
        var name = new Option<string?>("--name") { Description = "Snapshot name prefix (default check.<compressed file name>)." };
        var accept = new Option<bool>("--accept") { Description = "Accept what is found (write verified snapshots, remove fixed ones); ignored when CI is set." };
        var report = new Option<string?>("--report") { Description = "Also write a report directory (results.json, summary.md, junit.xml, report.html, images/)." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON on stdout (the human summary goes to stderr)." };
        var threads = new Option<int?>("--threads") { Description = "Model batches evaluated concurrently (does not change results)." };
        var noSanity = new Option<bool>("--no-sanity-check") { Description = "Check even when the unmodified seeds say the preprocessing is probably wrong (original near chance or near-uniform) or the two models are not a compression pair (they disagree on many seeds)." };
        var opts = new ModelOptionSet();
        var cmd = new Command("check", "The gate's deviation check: replay accepted triggering inputs, search the other seeds for confident, bounded deviations, and judge the pair (exit 0 pass, 1 problem found, 2 bad input).")
        {
            original, compressed, shard, budget, runSeed, strategy, minMargin, maxLinf, minSsim, maxRate, allowed, failOnFixed, snapshots, name, accept, report, json, threads, noSanity,
        };
        foreach (var o in seeds.All) cmd.Options.Add(o);
        opts.AddTo(cmd);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var comp = r.GetValue(compressed)!;
            var settings = new CheckSettings
            {
                Original = r.GetValue(original)!,
                Compressed = comp,
                Seeds = r.GetValue(seeds.Seeds)!,
                Labels = r.GetValue(seeds.Labels),
                ModelOptions = opts.Read(r),
                Offset = r.GetValue(seeds.Offset),
                Limit = r.GetValue(seeds.Limit) is { } lim ? (lim > 0 ? lim : throw new DflareException($"--limit must be positive (got {lim}).")) : null,
                Sample = r.GetValue(seeds.Sample) is { } sa ? (sa > 0 ? sa : throw new DflareException($"--sample must be positive (got {sa}).")) : null,
                Shard = r.GetValue(shard) is { } sh ? CheckSettings.ParseShard(sh, "--shard") : null,
                Budget = r.GetValue(budget),
                RunSeed = r.GetValue(runSeed),
                Strategy = r.GetValue(strategy)!,
                MinMargin = r.GetValue(minMargin),
                MaxLInf = r.GetValue(maxLinf) switch
                {
                    0 => null,
                    var l and > 0 and <= 255 => l,
                    var l => throw new DflareException($"--max-linf must be 0 (unbounded) to 255 grey levels (got {l})."),
                },
                MinSsim = r.GetValue(minSsim),
                Policy = new CheckPolicy(r.GetValue(allowed), r.GetValue(maxRate), r.GetValue(failOnFixed)),
                SnapshotDirectory = r.GetValue(snapshots) is { } d ? Path.GetFullPath(d) : null,
                SnapshotName = r.GetValue(name) ?? "check." + Path.GetFileNameWithoutExtension(comp),
                Accept = r.GetValue(accept),
                Threads = r.GetValue(threads),
                SanityCheck = !r.GetValue(noSanity),
                AcceptHint = r.GetValue(snapshots) is { } sd
                    ? $"To accept after review: `dflare accept {sd}` (or rerun with --accept)."
                    : "Give --snapshots DIR to keep the triggering inputs for review and acceptance.",
            };
            settings.Validate();
            var reportDir = r.GetValue(report) is { } rd ? Path.GetFullPath(rd) : null;
            if (reportDir is not null) EnsureWritable(reportDir, "--report");
            if (settings.SnapshotDirectory is { } snapDir) EnsureWritable(snapDir, "--snapshots");
            if (settings.Accept && CiEnvironment.IsCi) Console.Error.WriteLine("warning: CI is set; --accept is ignored on a build server.");

            var human = r.GetValue(json) ? Console.Error : Console.Out;
            human.WriteLine($"dflare check: {Path.GetFileName(comp)} against {Path.GetFileName(settings.Original)}; a deviation counts when {settings.DescribeMeaningful()}; " +
                            $"strategy {settings.Strategy}, budget {settings.Budget} queries per seed (a seed without a deviation spends all of it), run seed {settings.RunSeed}.");
            // Progress goes where the human output goes (stderr with --json), never into the JSON on stdout.
            var console = CommandRunner.HumanConsole(json: r.GetValue(json));
            CheckVerdict verdict = null!;
            CommandRunner.WithProgress(console, "checking", 1, step =>
                verdict = DeviationCheck.Run(settings, progress: (done, total) => step(done / (double)Math.Max(total, 1), $"searched {done}/{total} seeds")));
            var record = CheckRecord.From(verdict, $"dflare check.{Path.GetFileName(comp)}", "dflare check", Path.GetFileNameWithoutExtension(comp),
                settings.Shard is { } s ? $"{s.Index}/{s.Count}" : null,
                reportDir is null ? null : (n, img) =>
                {
                    var file = GateResultsStore.FileKey(n) + ".png";
                    img.SavePng(Path.Combine(reportDir, GateResultsStore.ImagesFolder, file));
                    return $"{GateResultsStore.ImagesFolder}/{file}";
                });
            if (reportDir is not null)
            {
                var results = new GateResults
                {
                    Project = "dflare check", Started = DateTimeOffset.UtcNow.AddSeconds(-verdict.Seconds), Finished = DateTimeOffset.UtcNow,
                    Shards = record.Shard is { } rs ? [rs] : [], Cases = [record],
                };
                GateReport.WriteAll(results, reportDir);
            }
            human.WriteLine(verdict.Message);
            if (reportDir is not null) human.WriteLine($"Report: {Path.Combine(reportDir, GateReport.HtmlFile)}");
            if (r.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(record, GateResultsStore.Json));
            return verdict.Violated ? CommandRunner.Found : CommandRunner.Ok;
        }));
        return cmd;
    }

    /// <summary>Checks before any search that a folder can be created and written, so no finished work is lost.</summary>
    private static void EnsureWritable(string dir, string option)
    {
        try
        {
            if (File.Exists(dir)) throw new DflareException($"{option} '{dir}' is a file, not a folder.");
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".dflare-write-test-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DflareException($"{option} '{dir}' cannot be written: {e.Message}");
        }
    }
}
