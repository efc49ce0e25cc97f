using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Dflare.Datasets;
using Dflare.Journal;
using Dflare.Models;
using Dflare.Search;
using Dflare.Search.DiffChaser;
using Dflare.Search.Mutation;
using Dflare.Search.Square;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare search --original A.onnx --compressed B.onnx --seeds PATH [...]</c>: searches each seed for an input on
/// which the two models' top-1 labels differ, writes <c>DIR/results.json</c> and a picture per triggering input.
/// </summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var original = new Option<string>("--original") { Description = "The original ONNX model.", Required = true };
        var compressed = new Option<string>("--compressed") { Description = "The compressed ONNX model to test against it.", Required = true };
        var seeds = new Option<string>("--seeds") { Description = "Seed images: a folder (with optional labels.csv), an IDX file or a CIFAR-10 .bin file.", Required = true };
        var labels = new Option<string?>("--labels") { Description = "Labels file (IDX labels or CSV) if not found beside the seeds." };
        var limit = new Option<int?>("--limit") { Description = "Search at most N seeds." };
        var offset = new Option<int>("--offset") { Description = "Skip the first N seeds.", DefaultValueFactory = _ => 0 };
        var sample = new Option<int?>("--sample") { Description = "Search N seeds sampled across the classes, drawn from the run seed (deterministic; instead of --offset/--limit)." };
        var budget = new Option<long>("--budget") { Description = "Model queries per seed (one image on both models = 2; the seed check counts). Deterministic.", DefaultValueFactory = _ => QueryBudget.SearchDefault };
        var timeLimit = new Option<double?>("--time-limit") { Description = "Also stop a seed after S seconds of wall time (not deterministic)." };
        var runSeed = new Option<ulong>("--seed") { Description = "Run seed: each seed's random stream is derived from (run seed, seed id).", DefaultValueFactory = _ => 0 };
        var strategy = new Option<string?>("--strategy") { Description = "square (Square Attack toward the decision boundary; the default with --max-linf), dflare (the default without a bound), diffchaser, random-ops (ablation: uniform operator choice), gap-only (ablation: no novelty) or dflare-reference (DFlare as the authors' shipped code behaves)." };
        var objective = new Option<string>("--objective") { Description = "square: boundary (seek the original's decision boundary, 1 query a step), confident (both models' top-1 margins ≥ --min-margin, 2 queries a step) or auto (confident when --min-margin > 0).", DefaultValueFactory = _ => "auto" };
        var startFromSeed = new Option<bool>("--start-from-seed") { Description = "square: start from the seed instead of ±ε stripes (higher SSIM, more queries)." };
        var toward = new Option<string>("--toward") { Description = "square, boundary objective: walk toward the original model's decision boundary (the default) or the compressed model's, bisecting on it and asking the other model at the two ends of each crossing; deviations are judged the same way.", DefaultValueFactory = _ => "original" };
        var pInit = new Option<double>("--p-init") { Description = "square: initial fraction of the pixels a square covers (default 0.3).", DefaultValueFactory = _ => 0.3 };
        var shrink = new Option<double>("--shrink") { Description = "Shrink each triggering input toward its seed with up to this fraction of the budget as extra queries (default 0.1; 0 = off).", DefaultValueFactory = _ => 0.1 };
        var outDir = new Option<string>("--out") { Description = "Output folder for results.json and the trigger pictures.", DefaultValueFactory = _ => "dflare-out" };
        var operators = new Option<string?>("--operators") { Description = "Mutation operators and parameters, e.g. 'gaussian-noise:variance=0.1,salt-pepper:amount=0.004,box-blur:max-kernel=5' (default: all seven)." };
        var maxLinf = new Option<string?>("--max-linf") { Description = "Clip every mutant into ±N grey levels around the seed: 16, 16/255 or 0.0627 are the same." };
        var minSsim = new Option<double?>("--min-ssim") { Description = "Reject mutants whose SSIM to the seed is below S." };
        var minMargin = new Option<double>("--min-margin") { Description = "Differing labels count only when each model's top-1 beats its second by at least this probability (default 0; a tied top-1 never counts).", DefaultValueFactory = _ => 0 };
        var dcPopulation = new Option<int?>("--dc-population") { Description = "DiffChaser: population size (default 10)." };
        var dcRate = new Option<double?>("--dc-mutation-rate") { Description = "DiffChaser: probability that a value is mutated (default 0.1)." };
        var dcStep = new Option<int?>("--dc-mutation-step") { Description = "DiffChaser: a mutated value moves by up to ±N pixel levels (default 64)." };
        var dcCrossover = new Option<double?>("--dc-crossover-rate") { Description = "DiffChaser: probability of regional crossover per child (default 0.9)." };
        var dcTournament = new Option<int?>("--dc-tournament") { Description = "DiffChaser: tournament size for parent selection (default 2)." };
        var dcWeight = new Option<double?>("--dc-uncertainty-weight") { Description = "DiffChaser: weight of the uncertainty term in the fitness (default 1)." };
        var queryUnchanged = new Option<bool>("--query-unchanged") { Description = "DFlare: also query mutants identical to the current image (e.g. a blur with kernel 1), as the reference implementation does; by default they are skipped, which changes no decision and saves queries." };
        var lockStep = new Option<int>("--lock-step") { Description = "Seeds searched at once, their mutants evaluated together (does not change results).", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "Model batches evaluated concurrently (does not change results).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted search in --out (same options): finished seeds are read from its journal, the rest are searched." };
        var noSanity = new Option<bool>("--no-sanity-check") { Description = "Search even when the unmodified seeds say the preprocessing is probably wrong (original near chance or near-uniform) or the two models are not a compression pair (they disagree on many seeds)." };
        var noSpeculation = new Option<bool>("--no-speculation") { Description = "Leave the padding of fixed-size model batches empty instead of evaluating likely next mutants in it (does not change results)." };
        var opts = new ModelOptionSet();
        var cmd = new Command("search", "Search seeds for inputs on which the compressed model's top-1 label differs from the original's (DFlare, or the DiffChaser baseline).")
        {
            original, compressed, seeds, labels, limit, offset, sample, budget, timeLimit, runSeed, strategy, outDir, operators,
            maxLinf, minSsim, minMargin, objective, toward, startFromSeed, pInit, shrink, queryUnchanged, dcPopulation, dcRate, dcStep, dcCrossover, dcTournament, dcWeight, lockStep, threads, noSpeculation, resume, noSanity,
        };
        opts.AddTo(cmd);
        var compressedOpts = ModelOptionSet.ForCompressed();
        compressedOpts.AddTo(cmd);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var dc = new DiffChaserSettings();
            dc = dc with
            {
                Population = r.GetValue(dcPopulation) ?? dc.Population,
                MutationRate = r.GetValue(dcRate) ?? dc.MutationRate,
                MutationStep = r.GetValue(dcStep) ?? dc.MutationStep,
                CrossoverRate = r.GetValue(dcCrossover) ?? dc.CrossoverRate,
                TournamentSize = r.GetValue(dcTournament) ?? dc.TournamentSize,
                UncertaintyWeight = r.GetValue(dcWeight) ?? dc.UncertaintyWeight,
            };
            if (r.GetValue(timeLimit) is { } tl && !(tl > 0 && double.IsFinite(tl)))
                throw new DflareException($"--time-limit must be a positive number of seconds (got {tl.ToString(CultureInfo.InvariantCulture)}).");
            var linf = r.GetValue(maxLinf) is { } lt ? Images.PixelAmount.Parse(lt, "--max-linf") : (Images.PixelAmount?)null;
            var bound = new DistortionBound { MaxLInf = linf?.WholeLevels("--max-linf"), MinSsim = r.GetValue(minSsim) };
            var settings = new SearchSettings
            {
                Strategy = r.GetValue(strategy) is { } name ? SearchStrategies.Parse(name) : SearchStrategies.Default(bound),
                Square = new SquareSettings
                {
                    Objective = SquareSettings.ParseObjective(r.GetValue(objective)!),
                    Toward = SquareSettings.ParseToward(r.GetValue(toward)!),
                    StartFromSeed = r.GetValue(startFromSeed),
                    PInit = r.GetValue(pInit),
                },
                ShrinkFraction = r.GetValue(shrink),
                Budget = r.GetValue(budget),
                TimeLimit = r.GetValue(timeLimit) is { } t ? TimeSpan.FromSeconds(t) : null,
                RunSeed = r.GetValue(runSeed),
                Operators = MutationOperators.Parse(r.GetValue(operators)),
                Bound = bound,
                MinMargin = r.GetValue(minMargin),
                SkipUnchanged = !r.GetValue(queryUnchanged),
                DiffChaser = dc,
                LockStep = r.GetValue(lockStep),
                Threads = r.GetValue(threads),
                Speculate = !r.GetValue(noSpeculation),
            };
            settings.Validate();
            int off = r.GetValue(offset);
            int? lim = r.GetValue(limit);
            if (off < 0) throw new DflareException($"--offset must not be negative (got {off}).");
            if (lim is <= 0) throw new DflareException($"--limit must be positive (got {lim}).");

            var o = opts.Read(r);
            var source = SeedSource.Open(r.GetValue(seeds)!, r.GetValue(labels));
            var pair = ModelPair.Load(r.GetValue(original)!, r.GetValue(compressed)!, o, compressedOpts.ReadCompressed(r, o));
            if (r.GetValue(sample) is <= 0) throw new DflareException($"--sample must be positive (got {r.GetValue(sample)}).");
            var positions = source.Select(off, lim, r.GetValue(sample), settings.RunSeed);
            int total = positions.Count;
            if (total == 0) throw new DflareException($"No seeds to search: '{source.Path}' has {source.Count} seeds and --offset is {off}.");
            source.CheckLabels(positions, pair.Classes, pair.Original.Path);
            var dir = r.GetValue(outDir)!;
            // Before any work: the output folder must be writable, or a long search would end in "cannot write".
            OutputLocation.CheckFolder(dir, "--out");
            if (!r.GetValue(noSanity))
                SanityCheck.Run(pair.Original, pair.Compressed, source).ThrowIfProblems("If this is intended, rerun with --no-sanity-check.");

            var context = new SearchReportContext
            {
                Original = r.GetValue(original), Compressed = r.GetValue(compressed), SeedSource = r.GetValue(seeds),
                Offset = off, Limit = lim, ClassNames = source.ClassNames, Sample = r.GetValue(sample),
                Preprocessing = [pair.Original.Info.PreprocessingJson(), pair.Compressed.Info.PreprocessingJson()],
            };
            var header = (JsonObject)SearchReport.ToJson(new SearchRunResult { Settings = settings, Seeds = [] }, context)["run"]!;
            bool resuming = r.GetValue(resume);
            using var journal = resuming ? SearchJournal.Resume(dir, header) : SearchJournal.Start(dir, header);
            var finishedBefore = journal.Seeds.Select(s => s.SeedId).ToHashSet(StringComparer.Ordinal);

            // A console over the current Console.Out (not the cached AnsiConsole.Console), so redirection is honoured.
            var console = CommandRunner.HumanConsole(json: false);
            string what = settings.Strategy == SearchStrategy.Square
                ? $"square, {SquareSettings.Name(settings.Square.Resolve(settings.MinMargin))} objective" +
                  (settings.Square.Toward == SquareToward.Compressed ? " toward the compressed model" : "")
                : settings.Strategy.Name();
            console.MarkupLine($"[bold]dflare search[/] ({what}): {Markup.Escape(pair.ToString())}, {total} seeds from {Markup.Escape(source.Kind)}, " +
                               $"budget {settings.Budget} queries/seed, run seed {settings.RunSeed}" +
                               (settings.Bound.IsNone ? "" : $", bound {Markup.Escape(settings.Bound.ToString())}"));
            if (linf is { } lv) Console.Out.WriteLine($"--max-linf {r.GetValue(maxLinf)}: {lv}");
            Console.Out.WriteLine("Preprocessing, each value (from where):");
            Console.Out.WriteLine(pair.DescribePreprocessing());
            if (resuming) console.MarkupLine($"Resuming: {finishedBefore.Count} of {total} seeds had finished; searching the other {total - finishedBefore.Count}.");
            var runner = new SearchRunner(pair, settings);
            using var cts = new CancellationTokenSource();
            // The first Ctrl+C (or SIGTERM) stops between steps and writes what finished; a second one ends the process
            // at once (the journal keeps every finished seed for --resume).
            void OnSignal(PosixSignalContext c) { if (!cts.IsCancellationRequested) { c.Cancel = true; cts.Cancel(); } }
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            SearchRunResult run = null!;
            int done = finishedBefore.Count, triggered = journal.Seeds.Count(s => s.Status == SearchStatus.Triggered);
            int already = journal.Seeds.Count(s => s.Status == SearchStatus.AlreadyDeviating);
            try
            {
                CommandRunner.WithProgress(console, $"searching {total} seeds", total, progress =>
                {
                    run = runner.Run(source.Enumerate(positions).Where(s => !finishedBefore.Contains(s.Id)), s =>
                    {
                        journal.Add(s);
                        done++;
                        if (s.Status == SearchStatus.Triggered) triggered++;
                        if (s.Status == SearchStatus.AlreadyDeviating) already++;
                        progress(done, $"{done}/{total} seeds, {triggered} triggered, {already} already deviating");
                    }, cts.Token);
                });
            }
            catch (Exception e) when (journal.Seeds.Count > 0 && e is not OutOfMemoryException)
            {
                throw new DflareException($"{CommandRunner.Describe(e)} ({journal.Seeds.Count} finished seed(s) are kept in '{journal.Path}'; after fixing the cause, --resume continues the run.)", e);
            }
            catch
            {
                journal.Complete(); // nothing finished: leave no journal behind
                throw;
            }

            var all = journal.Seeds.OrderBy(s => s.SeedIndex).ThenBy(s => s.SeedId, StringComparer.Ordinal).ToArray();
            run = run with { Seeds = all };
            var partial = all.Length < total ? new PartialRun(all.Length, total, cts.IsCancellationRequested ? "interrupted" : "stopped", "continue the run with --resume") : null;
            string path = null!;
            OutputLocation.WriteOrKeep("search", dir, d => path = SearchResultsWriter.Write(run, d, context, partial));
            if (partial is null) journal.Complete();
            PrintSummary(console, run, context, partial is not null);
            console.MarkupLine($"Wrote [bold]{Markup.Escape(path)}[/]" + (run.Triggered > 0 ? $" and {run.Triggered} trigger picture(s) in {Markup.Escape(Path.Combine(dir, "triggers"))}" : "") + ".");
            if (partial is not null)
            {
                CommandRunner.Error($"interrupted: {partial.Finished} of {total} seeds finished; '{path}' is marked partial. " +
                                    "Run the same command with --resume to search the rest.");
                return CommandRunner.Interrupted;
            }
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static void PrintSummary(IAnsiConsole console, SearchRunResult run, SearchReportContext context, bool partial)
    {
        static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
        var t = new Table().AddColumn("seeds").AddColumn(new TableColumn("value").RightAligned());
        t.AddRow("searched", run.SeedCount.ToString(CultureInfo.InvariantCulture));
        t.AddRow("triggered", run.Triggered.ToString(CultureInfo.InvariantCulture));
        t.AddRow("already deviating", run.AlreadyDeviating.ToString(CultureInfo.InvariantCulture));
        t.AddRow("not found", run.NotFound.ToString(CultureInfo.InvariantCulture));
        t.AddRow(partial ? "success rate (partial: finished seeds only)" : "success rate (of searched)", run.SuccessRate is { } sr ? $"{sr * 100:F1} %" : "-");
        t.AddRow("median queries / trigger", F(run.MedianQueriesPerTrigger, "F0"));
        t.AddRow("mean queries / trigger", F(run.MeanQueriesPerTrigger, "F1"));
        t.AddRow("median L∞ / L2 / SSIM", $"{F(run.MedianLInf, "F0")} / {F(run.MedianL2, "F1")} / {F(run.MedianSsim, "F3")}");
        if (run.ShrinkQueries > 0)
            t.AddRow("before shrinking: median L∞ / SSIM", $"{F(run.MedianLInfBeforeShrink, "F0")} / {F(run.MedianSsimBeforeShrink, "F3")}");
        t.AddRow("total queries", run.TotalQueries.ToString(CultureInfo.InvariantCulture) + (run.ShrinkQueries > 0 ? $" ({run.ShrinkQueries} shrinking)" : ""));
        t.AddRow("seconds", run.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        console.Write(t);
        var ops = run.OperatorTotals;
        if (ops.Count > 0 && ops.Any(o => o.Selections > 0))
        {
            var ot = new Table().AddColumn("operator").AddColumn(new TableColumn("selected").RightAligned())
                .AddColumn(new TableColumn("kept").RightAligned()).AddColumn(new TableColumn("ratio").RightAligned());
            foreach (var o in ops)
                ot.AddRow(o.Operator, o.Selections.ToString(CultureInfo.InvariantCulture), o.Successes.ToString(CultureInfo.InvariantCulture),
                    o.Selections == 0 ? "-" : ((double)o.Successes / o.Selections).ToString("F3", CultureInfo.InvariantCulture));
            console.Write(ot);
        }
        var shown = run.Seeds.Where(s => s.Status != SearchStatus.NotFound).Take(20).ToArray();
        if (shown.Length > 0)
        {
            var st = new Table().AddColumn("seed").AddColumn("status").AddColumn(new TableColumn("queries").RightAligned())
                .AddColumn("original").AddColumn("compressed").AddColumn(new TableColumn("L∞").RightAligned()).AddColumn(new TableColumn("SSIM").RightAligned());
            foreach (var s in shown)
                st.AddRow(Markup.Escape(s.SeedId), s.Status == SearchStatus.Triggered ? "triggered" : "already deviating",
                    s.Queries.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(s.OriginalLabel is { } a ? context.ClassName(a) : "-"), Markup.Escape(s.CompressedLabel is { } b ? context.ClassName(b) : "-"),
                    s.LInf?.ToString(CultureInfo.InvariantCulture) ?? "-", F(s.Ssim, "F3"));
            if (run.Seeds.Count(s => s.Status != SearchStatus.NotFound) > shown.Length) st.Caption("(first 20 shown; all in results.json)");
            console.Write(st);
        }
    }
}
