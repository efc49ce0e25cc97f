using System.Text;
using Dflare.Benchmarks.Harness;
using Dflare.Search;

namespace Dflare.Benchmarks.Figures;

/// <summary>DiffChaser against DFlare on one pair: ratios of time and queries per triggering input.</summary>
internal sealed record Comparison(
    double? SpeedupMean, double? SpeedupMedian, double? QueryShareMean, double? QueryShareMedian,
    int BothTriggered, double? PairedQueryShareMedian)
{
    /// <summary>DiffChaser's wall time per trigger ÷ DFlare's: whole-run wall time (seeds that found nothing included) over triggers.</summary>
    public double? SpeedupWall { get; init; }
}

/// <summary>All strategies on one pair, on the same seeds and budget.</summary>
internal sealed record PairResult(
    string Pair, string Description, string Dataset, string Seeds, int SeedCount, long Budget, string DiffChaserSource,
    string Machine, IReadOnlyList<StrategyResult> Strategies, Comparison? DiffChaserVsDflare)
{
    public StrategyResult? Get(string strategy, string bound = "none") => Strategies.FirstOrDefault(s => s.Strategy == strategy && s.Bound == bound);
}

/// <summary>The paper-style evaluation: every pair × every strategy, same seeds and budget.</summary>
internal static class Effectiveness
{
    public const string Name = "effectiveness";

    public static int Run(Args a)
    {
        var catalog = new Catalog();
        int seeds = a.Int("seeds", 100);
        long budget = a.Long("budget", QueryBudget.SearchDefault);
        var pairs = catalog.Select(a.List("pairs", "all"));
        var strategies = Runs.Variants(a.List("strategies", "all"));
        var outDir = a.Str("out", BenchPaths.Results);
        int? threads = a.Str("threads") is { } t ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : null;
        int repeats = a.Int("repeats", 3);
        ulong runSeed = (ulong)a.Long("run-seed", 0);
        bool renderOnly = a.Flag("render-only");
        a.CheckAllUsed();
        if (renderOnly)
        {
            // Recompute the comparisons and rewrite effectiveness.md from effectiveness.json, without running anything.
            Save(outDir, Runs.ReadPrevious<PairResult>(outDir, Name, "pairs").Select(p => p with { DiffChaserVsDflare = Compare(p.Strategies) }).ToList());
            return 0;
        }

        var fresh = new List<PairResult>();
        var missing = new List<string>();
        foreach (var spec in pairs)
        {
            try
            {
                var r = RunPair(catalog, spec, seeds, budget, runSeed == 0 ? strategies : strategies.Select(v => v with { Adjust = x => v.Adjust(x) with { RunSeed = runSeed } }).ToArray(), outDir, threads, repeats);
                fresh.Add(r);
                // Write after every pair so that a long matrix survives interruption.
                Save(outDir, Runs.Merge(Runs.ReadPrevious<PairResult>(outDir, Name, "pairs"), [r], x => x.Pair));
            }
            catch (MissingDataException e)
            {
                Console.Error.WriteLine($"skipped {spec.Name}: {e.Message}");
                missing.Add($"{spec.Name}: {e.Message}");
            }
        }
        return missing.Count > 0 && fresh.Count == 0 ? 3 : 0;
    }

    public static PairResult RunPair(Catalog catalog, PairSpec spec, int seedCount, long budget, IReadOnlyList<SearchStrategy> strategies, string outDir, int? threads, int repeats = 1) =>
        RunPair(catalog, spec, seedCount, budget, strategies.Select(s => new Variant(s.Name(), s, x => x)).ToArray(), outDir, threads, repeats);

    public static PairResult RunPair(Catalog catalog, PairSpec spec, int seedCount, long budget, IReadOnlyList<Variant> strategies, string outDir, int? threads, int repeats = 1)
    {
        var machine = MachineInfo.Now();
        Console.WriteLine($"== {spec.Name}: {spec.Describe()}");
        var p = catalog.Load(spec);
        var sel = catalog.Agreeing(p, 0, p.Dataset.EvalEnd, seedCount);
        Console.WriteLine($"   seeds: {sel.Describe()}");
        var (dc, dcSource) = Runs.DiffChaserFor(p.Dataset.Key, outDir);
        var results = new List<StrategyResult>();
        foreach (var s in strategies)
        {
            var runs = Enumerable.Range(0, Math.Max(1, repeats)).Select(_ => Runs.Run(p, sel.Seeds, s.Adjust(Runs.Settings(s.Strategy, budget, dc, threads: threads)))).ToArray();
            var r = StrategyResult.FromRepeats(runs) with { Strategy = s.Label };
            if (!r.Deterministic) Console.Error.WriteLine($"   WARNING: {spec.Name} {r.Strategy}: repeats gave different per-seed results");
            results.Add(r);
            Console.WriteLine($"   {r.Strategy,-10} {r.Triggered}/{r.Searched} triggered, median {Output.F(r.MedianQueries, 0)} / mean {Output.F(r.MeanQueries, 0)} queries, " +
                              $"{Output.F(r.WallSeconds, 1)} s wall, median L∞ {Output.F(r.MedianLInf, 0)}, SSIM {Output.F(r.MedianSsim, 3)}");
        }
        return new PairResult(spec.Name, spec.Describe(), p.Dataset.Description, sel.Describe(), sel.Seeds.Count, budget, dcSource,
            machine.Line(MachineInfo.LoadAverageNow()), results, Compare(results));
    }

    /// <summary>DiffChaser ÷ DFlare time per trigger (speed-up) and DFlare ÷ DiffChaser queries per trigger (share).</summary>
    public static Comparison? Compare(IReadOnlyList<StrategyResult> results)
    {
        var d = results.FirstOrDefault(r => r.Strategy == "dflare");
        var c = results.FirstOrDefault(r => r.Strategy == "diffchaser");
        if (d is null || c is null) return null;
        static double? Div(double? x, double? y) => x is { } a && y is { } b && b > 0 ? a / b : null;
        var dq = d.PerSeed.Where(s => s.Status == "triggered").ToDictionary(s => s.Id);
        var paired = c.PerSeed.Where(s => s.Status == "triggered" && dq.ContainsKey(s.Id)).Select(s => (double)dq[s.Id].Queries / s.Queries).ToArray();
        return new Comparison(
            Div(c.MeanSecondsPerTrigger, d.MeanSecondsPerTrigger), Div(c.MedianSecondsPerTrigger, d.MedianSecondsPerTrigger),
            Div(d.MeanQueries, c.MeanQueries), Div(d.MedianQueries, c.MedianQueries),
            paired.Length, Stats.Median(paired)) { SpeedupWall = Div(c.WallSecondsPerTrigger, d.WallSecondsPerTrigger) };
    }

    private static void Save(string outDir, List<PairResult> all)
    {
        var order = new Catalog().Pairs.Select(p => p.Name).ToList();
        all = all.OrderBy(p => order.IndexOf(p.Pair) is var i && i < 0 ? int.MaxValue : i).ToList();
        Output.Write(outDir, Name, new { figure = Name, pairs = all }, Markdown(all));
    }

    public static string Markdown(IReadOnlyList<PairResult> all)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Effectiveness: every pair × strategy (same seeds, same query budget)").AppendLine();
        sb.AppendLine("Queries: one image on one model = 1 (a DFlare iteration = 2, the seed check = 2). Time per trigger is the wall time attributed to the seed (its share of each lock-step batch), mean over triggered seeds, then the median over the repeated runs (see Runs). Distances are to the seed, in pixel levels (0..255).").AppendLine();
        sb.Append(Output.Table(
            ["pair", "seeds", "strategy", "success", "median q", "mean q", "mean s/trigger", "median L∞", "median L2", "median SSIM"],
            all.SelectMany(p => p.Strategies.Select(s => (IReadOnlyList<string>)
            [
                p.Pair, p.SeedCount.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Strategy,
                $"{s.Triggered}/{s.Searched} ({Output.Pct(s.SuccessRate, 0)})", Output.F(s.MedianQueries, 0), Output.F(s.MeanQueries, 0),
                Output.F(s.MeanSecondsPerTrigger, 4), Output.F(s.MedianLInf, 0), Output.F(s.MedianL2, 0), Output.F(s.MedianSsim, 3),
            ])), "lll"));
        sb.AppendLine().AppendLine("## DiffChaser vs DFlare").AppendLine();
        sb.AppendLine("Speed-up = DiffChaser's mean time per trigger ÷ DFlare's (time attributed to the triggered seeds); wall = DiffChaser's whole-run wall time per trigger ÷ DFlare's (includes the time spent on seeds that found nothing). Query share = DFlare's mean queries per trigger ÷ DiffChaser's (the paper: DFlare at 17.84×–446.06× the speed, 0.186 %–1.937 % of the queries). Paired = median over seeds both triggered of DFlare's queries ÷ DiffChaser's.").AppendLine();
        sb.Append(Output.Table(
            ["pair", "DFlare success", "DiffChaser success", "speed-up (mean)", "speed-up (median)", "speed-up (wall)", "query share (mean)", "query share (median)", "paired share (n)", "DiffChaser params"],
            all.Where(p => p.DiffChaserVsDflare is not null).Select(p =>
            {
                var c = p.DiffChaserVsDflare!;
                var d = p.Get("dflare")!; var dc = p.Get("diffchaser")!;
                return (IReadOnlyList<string>)
                [
                    p.Pair, Output.Pct(d.SuccessRate, 0), Output.Pct(dc.SuccessRate, 0),
                    c.SpeedupMean is { } x ? Output.F(x, 2) + "×" : "–", c.SpeedupMedian is { } y ? Output.F(y, 2) + "×" : "–", c.SpeedupWall is { } z ? Output.F(z, 2) + "×" : "–",
                    Output.Pct(c.QueryShareMean, 1), Output.Pct(c.QueryShareMedian, 1),
                    $"{Output.Pct(c.PairedQueryShareMedian, 1)} ({c.BothTriggered})", dc.DiffChaser,
                ];
            }), "l"));
        sb.AppendLine().AppendLine("## Runs").AppendLine();
        foreach (var p in all)
            sb.AppendLine($"- **{p.Pair}** ({p.Description}; {p.Dataset}): {p.Seeds}; budget {p.Budget:N0} queries per seed; DiffChaser: {p.DiffChaserSource}; {p.Strategies.FirstOrDefault()?.Repeats ?? 1} run(s) per strategy{(p.Strategies.All(s => s.Deterministic) ? "" : " (REPEATS DIFFERED)")}. Measured {p.Machine}.");
        return sb.ToString();
    }
}
