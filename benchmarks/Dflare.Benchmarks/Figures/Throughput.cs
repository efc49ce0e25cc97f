using System.Globalization;
using System.Text;
using Dflare.Benchmarks.Harness;
using Dflare.Search;
using Dflare.Search.DiffChaser;

namespace Dflare.Benchmarks.Figures;

/// <summary>One search configuration's speed, medians over repeats.</summary>
internal sealed record SpeedRun(string Mode, int LockStep, int Threads, bool Speculate, int Seeds, long Budget, int Repeats,
    double QueriesPerSecond, double ImagePairsPerSecond, double OutsideInferenceShare, double PaddedImagesPerImage, double SpeculationHitRate,
    IReadOnlyList<double> RepeatQueriesPerSecond);

/// <summary>Search throughput on one pair against the pair's inference ceiling.</summary>
internal sealed record ThroughputResult(string Pair, ModelCeiling Original, ModelCeiling Compressed, ModelCeiling OriginalAfter, ModelCeiling CompressedAfter, double CeilingImagePairsPerSecond,
    SpeedRun OneChain, SpeedRun LockStepPlain, SpeedRun LockStep, double ShareOfCeiling, double PlainShareOfCeiling, double OneChainShareOfCeiling,
    double Speedup, string Machine);

/// <summary>
/// Queries per second of a DFlare search with one chain at a time (lock-step 1, one thread, no speculation: the naive
/// search) and with lock-step batched chains (64 seeds, all cores), without and with speculation (the default), against
/// the ceiling measured in the same run. Queries are the searches' own (what their budgets are charged); speculative
/// evaluations that go unused are not counted, so they only cost.
/// </summary>
internal static class Throughput
{
    public const string Name = "throughput";

    /// <summary>The searched configuration: --strategy (default dflare), --max-linf, --min-margin.</summary>
    internal sealed record SearchConfig(SearchStrategy Strategy, int? MaxLInf, double MinMargin)
    {
        public static SearchConfig Dflare { get; } = new(SearchStrategy.Dflare, null, 0);

        public string Describe() => SearchStrategies.Name(Strategy) + (MaxLInf is { } l ? $", L∞ ≤ {l}" : "") +
                                    (MinMargin > 0 ? $", margin ≥ {MinMargin.ToString(CultureInfo.InvariantCulture)}" : "");
    }

    public static int Run(Args a)
    {
        var catalog = new Catalog();
        var pairs = catalog.Select(a.List("pairs", "resnet8-real,demo,cnn-pytorch-int8,mnist-8-int8,squeezenet-int8"));
        int seeds = a.Int("seeds", 128);
        int oneChainSeeds = a.Int("one-chain-seeds", 4);
        long budget = a.Long("budget", 200);
        int repeats = a.Int("repeats", 3);
        int lockStep = a.Int("lock-step", 64);
        int? intraOp = a.Str("intra-op") is { } io ? int.Parse(io, CultureInfo.InvariantCulture) : null;
        var strategy = SearchStrategies.Parse(a.Str("strategy", "dflare")!);
        int? maxLinf = a.Str("max-linf") is { } ml ? int.Parse(ml, CultureInfo.InvariantCulture) : null;
        double minMargin = a.Str("min-margin") is { } mm ? double.Parse(mm, CultureInfo.InvariantCulture) : 0;
        var outDir = a.Str("out", BenchPaths.Results);
        a.CheckAllUsed();
        var search = new SearchConfig(strategy, maxLinf, minMargin);
        var fresh = new List<ThroughputResult>();
        foreach (var spec in pairs)
        {
            try { fresh.Add(Measure(catalog, spec, seeds, oneChainSeeds, budget, repeats, lockStep, intraOp, search)); }
            catch (MissingDataException e) { Console.Error.WriteLine($"skipped {spec.Name}: {e.Message}"); }
        }
        var all = Runs.Merge(Runs.ReadPrevious<ThroughputResult>(outDir, Name, "pairs"), fresh, t => t.Pair);
        Output.Write(outDir, Name, new { figure = Name, pairs = all }, Markdown(all, search));
        return 0;
    }

    public static ThroughputResult Measure(Catalog catalog, PairSpec spec, int seeds, int oneChainSeeds, long budget, int repeats, int lockStep, int? intraOp = null,
        SearchConfig? search = null)
    {
        search ??= SearchConfig.Dflare;
        var machine = MachineInfo.Now();
        Console.WriteLine($"== {spec.Name}" + (intraOp is { } io ? $" (ONNX Runtime intra-op threads {io})" : ""));
        var p = catalog.Load(spec, intraOp);
        // Any seeds will do for speed; the first agreeing ones, as elsewhere.
        var sel = catalog.Agreeing(p, 0, p.Dataset.EvalEnd, seeds);
        var images = sel.Seeds.Select(s => p.Pair.Prepare(s.Image)).ToArray();
        var co = Ceiling.Measure(spec.Name + " original", p.Pair.Original, images, repeats);
        var cc = Ceiling.Measure(spec.Name + " compressed", p.Pair.Compressed, images, repeats);
        var one = Speed(p, search, sel.Seeds.Take(oneChainSeeds).ToArray(), "one chain", 1, 1, false, budget, repeats);
        var plain = Speed(p, search, sel.Seeds, "lock-step, no speculation", lockStep, Environment.ProcessorCount, false, budget, repeats);
        var many = Speed(p, search, sel.Seeds, "lock-step", lockStep, Environment.ProcessorCount, true, budget, repeats);
        // The ceiling is measured before and after the searches, and the mean of the two is used: on a shared machine
        // ONNX Runtime's speed drifts by 10 % or more within minutes.
        var co2 = Ceiling.Measure(spec.Name + " original", p.Pair.Original, images, repeats);
        var cc2 = Ceiling.Measure(spec.Name + " compressed", p.Pair.Compressed, images, repeats);
        double ceiling = 1e6 / ((co.BestOrtMicrosPerImage + co2.BestOrtMicrosPerImage) / 2 + (cc.BestOrtMicrosPerImage + cc2.BestOrtMicrosPerImage) / 2);
        var r = new ThroughputResult(spec.Name, co, cc, co2, cc2, ceiling, one, plain, many, many.ImagePairsPerSecond / ceiling, plain.ImagePairsPerSecond / ceiling,
            one.ImagePairsPerSecond / ceiling, many.QueriesPerSecond / one.QueriesPerSecond, machine.Line(MachineInfo.LoadAverageNow()));
        Console.WriteLine($"   ceiling {ceiling:F0} image pairs/s; one chain {one.ImagePairsPerSecond:F0} ({r.OneChainShareOfCeiling:P0}); lock-step without speculation {plain.ImagePairsPerSecond:F0} ({r.PlainShareOfCeiling:P0}); lock-step {many.ImagePairsPerSecond:F0} ({r.ShareOfCeiling:P0}); ×{r.Speedup:F1}; outside inference {many.OutsideInferenceShare:P0}");
        return r;
    }

    private static SpeedRun Speed(LoadedPair p, SearchConfig search, IReadOnlyList<Dflare.Datasets.Seed> seeds, string mode, int lockStep, int threads, bool speculate, long budget, int repeats)
    {
        var qps = new List<double>(); var outside = new List<double>(); var padding = new List<double>(); var hits = new List<double>();
        var settings = Runs.Settings(search.Strategy, budget, new DiffChaserSettings(), new DistortionBound { MaxLInf = search.MaxLInf }, lockStep: lockStep, threads: threads)
            with { Speculate = speculate, MinMargin = search.MinMargin };
        for (int i = 0; i < repeats; i++)
        {
            long runsBefore = p.Pair.Original.Runs + p.Pair.Compressed.Runs;
            var run = Runs.Run(p, seeds, settings);
            long runs = p.Pair.Original.Runs + p.Pair.Compressed.Runs - runsBefore;
            qps.Add(run.TotalQueries / run.Seconds);
            outside.Add(1 - run.InferenceSeconds / run.Seconds);
            // Images ONNX Runtime computed per image the searches were charged for (padding and unused speculation).
            int fb = p.Pair.Original.Info.FixedBatch ?? 0;
            padding.Add(fb > 0 ? runs * (double)fb / run.TotalQueries : (double)run.ModelQueries / run.TotalQueries);
            hits.Add(run.SpeculatedImages == 0 ? 0 : (double)run.SpeculationHits / run.SpeculatedImages);
            Console.WriteLine($"   {mode,-26} repeat {i + 1}: {run.TotalQueries / run.Seconds,8:F0} queries/s, {run.Seconds:F2} s, outside inference {outside[^1]:P0}, computed/charged {padding[^1]:F2}, speculation {run.SpeculationHits}/{run.SpeculatedImages} used");
        }
        double q = Stats.Median(qps)!.Value;
        return new SpeedRun(mode, lockStep, threads, speculate, seeds.Count, budget, repeats, Math.Round(q, 1), Math.Round(q / 2, 1),
            Math.Round(Stats.Median(outside)!.Value, 4), Math.Round(Stats.Median(padding)!.Value, 3), Math.Round(Stats.Median(hits)!.Value, 3),
            qps.Select(x => Math.Round(x, 1)).ToArray());
    }

    public static string Markdown(IReadOnlyList<ThroughputResult> all, SearchConfig search)
    {
        var sb = new StringBuilder($"# Search throughput against the inference ceiling ({search.Describe()})\n\n");
        sb.AppendLine("Queries/s: the searches' own model queries (one image on one model; what their budgets are charged) per second of wall time, median over repeats. Ceiling: both models at their best batch size and caller count (image pairs/s = 10⁶ / (µs_original + µs_compressed)), measured before and after the searches (mean of the two). One chain: one seed at a time on one thread without speculation (the naive search). Lock-step: many seeds at a time (the number is given below) on all cores, without and with speculation (the default: the padding of fixed-size batches evaluates the mutants the searches would propose next if theirs are rejected). Outside inference: share of the run's wall time with no batch in the models (mutation, fitness, novelty and bookkeeping that did not overlap an evaluation). Computed/charged: images ONNX Runtime actually computed per query charged (padding of fixed batches and unused speculation make it exceed 1).").AppendLine();
        sb.Append(Output.Table(["pair", "ceiling pairs/s", "one chain q/s", "one chain % ceiling", "lock-step q/s, no speculation", "% ceiling", "lock-step q/s", "lock-step % ceiling", "× one chain", "outside inference (lock-step)", "computed/charged (one, plain, lock-step)", "speculation used"],
            all.Select(t => (IReadOnlyList<string>)
            [
                t.Pair, Output.F(t.CeilingImagePairsPerSecond, 0), Output.F(t.OneChain.QueriesPerSecond, 0), Output.Pct(t.OneChainShareOfCeiling, 0),
                Output.F(t.LockStepPlain.QueriesPerSecond, 0), Output.Pct(t.PlainShareOfCeiling, 0),
                Output.F(t.LockStep.QueriesPerSecond, 0), Output.Pct(t.ShareOfCeiling, 0), Output.F(t.Speedup, 1) + "×", Output.Pct(t.LockStep.OutsideInferenceShare, 0),
                $"{Output.F(t.OneChain.PaddedImagesPerImage, 2)}, {Output.F(t.LockStepPlain.PaddedImagesPerImage, 2)}, {Output.F(t.LockStep.PaddedImagesPerImage, 2)}",
                t.LockStep.SpeculationHitRate > 0 ? Output.Pct(t.LockStep.SpeculationHitRate, 0) : "–",
            ]), "l"));
        sb.AppendLine();
        foreach (var t in all)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- **{t.Pair}**: one chain = {t.OneChain.Seeds} seeds, lock-step 1, 1 thread, no speculation; lock-step = {t.LockStep.Seeds} seeds, lock-step {t.LockStep.LockStep}, {t.LockStep.Threads} threads; budget {t.LockStep.Budget} queries per seed; {t.LockStep.Repeats} repeats (q/s per repeat: one chain {string.Join(", ", t.OneChain.RepeatQueriesPerSecond)}; lock-step without speculation {string.Join(", ", t.LockStepPlain.RepeatQueriesPerSecond)}; lock-step {string.Join(", ", t.LockStep.RepeatQueriesPerSecond)}). Measured {t.Machine}."));
        return sb.ToString();
    }
}
