using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Datasets;
using Dflare.Search;
using Dflare.Search.DiffChaser;

namespace Dflare.Benchmarks.Harness;

/// <summary>One seed's outcome, as kept in the results files.</summary>
internal sealed record SeedOutcome(string Id, string Status, long Queries, double Seconds, int? LInf, double? L2, double? Ssim);

/// <summary>The figures of one strategy on one pair (and optional distortion bound).</summary>
internal sealed record StrategyResult(
    string Strategy, string Bound, int Seeds, int Searched, int Triggered, double? SuccessRate,
    double? MedianQueries, double? MeanQueries, double? MedianSecondsPerTrigger, double? MeanSecondsPerTrigger,
    double WallSeconds, double? WallSecondsPerTrigger, double InferenceSeconds, long ModelQueries,
    double? MedianLInf, double? MeanLInf, double? MedianL2, double? MeanL2, double? MedianSsim, double? MeanSsim,
    string DiffChaser, IReadOnlyList<SeedOutcome> PerSeed)
{
    /// <summary>Runs of the same configuration behind the timing fields (their medians); 1 when not repeated.</summary>
    public int Repeats { get; init; } = 1;
    /// <summary>Wall seconds of each repeat.</summary>
    public IReadOnlyList<double>? RepeatWallSeconds { get; init; }
    /// <summary>False when a repeat gave different per-seed results (it never should: the query budget is deterministic).</summary>
    public bool Deterministic { get; init; } = true;

    /// <summary>One result from repeated runs: deterministic fields from the first, timing fields as medians over all.</summary>
    public static StrategyResult FromRepeats(IReadOnlyList<SearchRunResult> runs)
    {
        var all = runs.Select(From).ToArray();
        var first = all[0];
        static string Key(StrategyResult r) => string.Join(";", r.PerSeed.Select(s => $"{s.Id}:{s.Status}:{s.Queries}:{s.LInf}"));
        double? Med(Func<StrategyResult, double?> f) => Stats.Median(all.Select(f).Where(v => v is not null).Select(v => v!.Value));
        return first with
        {
            MedianSecondsPerTrigger = Med(r => r.MedianSecondsPerTrigger),
            MeanSecondsPerTrigger = Med(r => r.MeanSecondsPerTrigger),
            WallSeconds = Med(r => r.WallSeconds) ?? first.WallSeconds,
            WallSecondsPerTrigger = Med(r => r.WallSecondsPerTrigger),
            InferenceSeconds = Med(r => r.InferenceSeconds) ?? first.InferenceSeconds,
            Repeats = all.Length,
            RepeatWallSeconds = all.Select(r => Math.Round(r.WallSeconds, 3)).ToArray(),
            Deterministic = all.All(r => Key(r) == Key(first)),
        };
    }

    public static StrategyResult From(SearchRunResult run)
    {
        var t = run.Seeds.Where(s => s.Status == SearchStatus.Triggered).ToArray();
        var dc = run.Settings.DiffChaser;
        return new StrategyResult(
            run.Settings.Strategy.Name(), run.Settings.Bound.ToString(), run.SeedCount, run.SeedCount - run.AlreadyDeviating, run.Triggered, run.SuccessRate,
            run.MedianQueriesPerTrigger, run.MeanQueriesPerTrigger,
            Stats.Median(t.Select(s => s.Seconds)), Stats.Mean(t.Select(s => s.Seconds)),
            run.Seconds, t.Length == 0 ? null : run.Seconds / t.Length, run.InferenceSeconds, run.ModelQueries,
            run.MedianLInf, Stats.Mean(t.Select(s => (double)s.LInf!.Value)), run.MedianL2, Stats.Mean(t.Select(s => s.L2!.Value)),
            run.MedianSsim, Stats.Mean(t.Select(s => s.Ssim!.Value)),
            run.Settings.Strategy == SearchStrategy.DiffChaser ? DcText(dc) : "",
            run.Seeds.Select(s => new SeedOutcome(s.SeedId, s.Status.Word(), s.Queries, Math.Round(s.Seconds, 5), s.LInf, s.L2 is { } l2 ? Math.Round(l2, 3) : null, s.Ssim is { } ss ? Math.Round(ss, 5) : null)).ToArray());
    }

    public static string DcText(DiffChaserSettings d) =>
        string.Create(CultureInfo.InvariantCulture, $"population {d.Population}, rate {d.MutationRate}, step {d.MutationStep}");
}

/// <summary>A strategy as the figures name it, with the settings change that makes it (identity for plain strategies).</summary>
internal sealed record Variant(string Label, SearchStrategy Strategy, Func<SearchSettings, SearchSettings> Adjust);

/// <summary>Running searches the same way for every figure.</summary>
internal static class Runs
{
    /// <summary>
    /// Settings for a strategy; everything else at the engine's defaults (operators, novelty, tie rule, run seed 0),
    /// except shrinking, which is off: the figures measure the search itself (queries to the first trigger and its
    /// distances); shrinking is measured on its own (<c>bounds --shrink F</c>).
    /// </summary>
    public static SearchSettings Settings(SearchStrategy strategy, long budget, DiffChaserSettings dc, DistortionBound? bound = null, int? lockStep = null, int? threads = null) => new()
    {
        Strategy = strategy,
        Budget = budget,
        DiffChaser = dc,
        Bound = bound ?? DistortionBound.None,
        LockStep = lockStep ?? 64,
        Threads = threads ?? Environment.ProcessorCount,
        ShrinkFraction = 0,
    };

    public static SearchRunResult Run(LoadedPair p, IReadOnlyList<Seed> seeds, SearchSettings s) => new SearchRunner(p.Pair, s).Run(seeds);

    /// <summary>The DiffChaser parameters chosen by <c>dc-grid</c> for a dataset (from <c>dc-grid.json</c>), or the engine's defaults.</summary>
    public static (DiffChaserSettings Settings, string Source) DiffChaserFor(string dataset, string resultsDir)
    {
        var arr = Output.ReadArray(resultsDir, "dc-grid", "datasets");
        var entry = arr?.FirstOrDefault(n => n?["dataset"]?.GetValue<string>() == dataset)?["best"];
        if (entry is null) return (new DiffChaserSettings(), "engine defaults (no dc-grid result for this dataset)");
        var s = new DiffChaserSettings
        {
            Population = entry["population"]!.GetValue<int>(),
            MutationRate = entry["mutationRate"]!.GetValue<double>(),
            MutationStep = entry["mutationStep"]!.GetValue<int>(),
        };
        return (s, $"dc-grid best for {dataset}");
    }

    public static SearchStrategy[] Strategies(IReadOnlyList<string> names) =>
        names.Count == 1 && names[0] == "all"
            ? [SearchStrategy.Dflare, SearchStrategy.DiffChaser, SearchStrategy.RandomOps, SearchStrategy.GapOnly, SearchStrategy.Square, SearchStrategy.DflareReference]
            : names.Select(SearchStrategies.Parse).ToArray();

    /// <summary>
    /// Strategies with optional ablations of <c>dflare-reference</c>: a name, or <c>dflare-reference-no-X</c> with X among
    /// <c>either-direction</c>, <c>memoryless</c>, <c>uint8</c> (several joined by <c>+no-</c>, e.g.
    /// <c>dflare-reference-no-memoryless+no-uint8</c>) to turn that difference from <c>dflare</c> off.
    /// </summary>
    public static IReadOnlyList<Variant> Variants(IReadOnlyList<string> names)
    {
        if (names.Count == 1 && names[0] == "all") return Strategies(names).Select(s => new Variant(s.Name(), s, x => x)).ToArray();
        const string prefix = "dflare-reference-";
        return names.Select(n =>
        {
            if (!n.StartsWith(prefix + "no-", StringComparison.Ordinal)) { var s = SearchStrategies.Parse(n); return new Variant(s.Name(), s, x => x); }
            var rules = new Dflare.Search.DflareReference.DflareReferenceSettings();
            foreach (var part in n[prefix.Length..].Split('+'))
                rules = part switch
                {
                    "no-either-direction" => rules with { EitherDirection = false },
                    "no-memoryless" => rules with { MemorylessRanks = false },
                    "no-uint8" => rules with { Uint8Noise = false },
                    _ => throw new ArgumentException($"unknown dflare-reference ablation '{part}' in '{n}' (no-either-direction, no-memoryless, no-uint8)"),
                };
            return new Variant(n, SearchStrategy.DflareReference, x => x with { DflareReference = rules });
        }).ToArray();
    }

    /// <summary>Reads a previous results file's typed entries (for merging partial reruns), or an empty list.</summary>
    public static List<T> ReadPrevious<T>(string directory, string name, string property)
    {
        var arr = Output.ReadArray(directory, name, property);
        if (arr is null) return [];
        try { return arr.Select(n => n.Deserialize<T>(Output.Json) ?? throw new System.Text.Json.JsonException("an entry is null")).ToList(); }
        catch (System.Text.Json.JsonException e) { Output.SetAside(directory, name, e.Message); return []; }
    }

    /// <summary>Keeps the previous entries whose key is not among the fresh ones, then the fresh ones.</summary>
    public static List<T> Merge<T>(IEnumerable<T> previous, IReadOnlyList<T> fresh, Func<T, string> key)
    {
        var keys = fresh.Select(key).ToHashSet();
        return previous.Where(p => !keys.Contains(key(p))).Concat(fresh).ToList();
    }
}
