using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dflare.Benchmarks.Harness;
using Dflare.Search;
using Dflare.Search.Square;

namespace Dflare.Benchmarks.Figures;

/// <summary>The seeds of one bound that no run of a <c>bounds</c> results file triggered.</summary>
internal sealed record MissedSeeds(string Bound, int LInf, int Searched, IReadOnlyList<string> Strategies, IReadOnlyList<string> SeedIds);

/// <summary>
/// One attempt of the long attack: the <c>square</c> strategy's boundary objective toward the original's or the
/// compressed model's decision boundary (<see cref="SquareSettings.Toward"/>), from the ±ε stripes or from the seed,
/// under its own run seed.
/// </summary>
internal sealed record ReachAttempt(string Label, SquareToward Toward, bool FromSeed, ulong RunSeed)
{
    /// <summary>Parses <c>original</c>, <c>compressed</c>, <c>original-from-seed</c>, <c>compressed-from-seed</c>; the n-th attempt (from 1) runs under run seed n (the 2,000-query runs used 0).</summary>
    public static IReadOnlyList<ReachAttempt> Parse(IReadOnlyList<string> names) => names.Select((n, i) =>
    {
        var parts = n.Split("-from-", 2);
        bool fromSeed = parts.Length == 2 && parts[1] == "seed";
        if (parts.Length == 2 && !fromSeed || parts[0] is not ("original" or "compressed"))
            throw new ArgumentException($"unknown attempt '{n}' (original, compressed, original-from-seed, compressed-from-seed)");
        return new ReachAttempt(n, SquareSettings.ParseToward(parts[0]), fromSeed, (ulong)i + 1);
    }).ToArray();
}

/// <summary>One missed seed after the long attack: queries summed over the attempts up to the one that triggered it.</summary>
internal sealed record ReachSeed(string Id, string Status, long Queries, string? Attempt, long? AttemptQueries, int? LInf, double? Ssim);

/// <summary>One bound of one pair: the seeds missed at the short budget and what the long attack made of them.</summary>
internal sealed record ReachBound(
    string Bound, int Searched, int Missed, int Attacked, int Triggered, double? MedianQueries, long? MaxQueries, double? MedianSsim,
    IReadOnlyDictionary<string, int> TriggeredBy, double WallSeconds, IReadOnlyList<ReachSeed> PerSeed);

/// <summary>The long attack on one pair.</summary>
internal sealed record ReachResult(
    string Pair, string Source, long ShortBudget, string ShortStrategies, long AttemptBudget, IReadOnlyList<string> Attempts,
    string Seeds, string Machine, IReadOnlyList<ReachBound> Bounds);

/// <summary>
/// The ceiling check: for every pair and bound of a <c>bounds</c> results file, a long attack (several square attempts
/// of a large budget each) on the seeds that no strategy triggered at the short budget, to tell "no bounded deviation
/// exists (or none a long attack finds)" from "the short search stopped too early".
/// </summary>
internal static class Reach
{
    public const string Name = "reach";

    /// <summary>The default input: the 18-pair bounds matrix.</summary>
    public static string DefaultInput => Path.Combine(BenchPaths.Results, "bounds-all", "bounds.json");

    public static int Run(Args a)
    {
        var input = a.Str("from", DefaultInput);
        var pairNames = a.List("pairs", "all");
        var linf = a.Str("linf") is { } l ? l.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToHashSet() : null;
        var strategies = a.List("strategies", "all");
        long budget = a.Long("budget", 20_000);
        var attempts = ReachAttempt.Parse(a.List("attempts", "original,compressed,original-from-seed"));
        int maxSeeds = a.Int("max-seeds", int.MaxValue);
        var outDir = a.Str("out", Path.Combine(BenchPaths.Results, Name));
        bool renderOnly = a.Flag("render-only");
        a.CheckAllUsed();
        if (renderOnly)
        {
            var previous = Runs.ReadPrevious<ReachResult>(outDir, Name, "pairs");
            Output.Write(outDir, Name, new { figure = Name, pairs = previous }, Markdown(previous));
            return 0;
        }
        if (budget < QueryBudget.Minimum) throw new ArgumentException($"--budget must be {QueryBudget.Rule} (got {budget})");

        var catalog = new Catalog();
        var file = ReadBounds(input);
        var entries = pairNames is ["all"] ? file : pairNames.Select(n => file.FirstOrDefault(b => b.Pair == n)
            ?? throw new ArgumentException($"{input}: no pair '{n}' (it has {string.Join(", ", file.Select(b => b.Pair))})")).ToList();
        foreach (var entry in entries)
        {
            var missed = Missed(entry, strategies is ["all"] ? null : strategies).Where(m => linf is null || linf.Contains(m.LInf)).ToArray();
            var fresh = new List<ReachResult>();
            if (missed.All(m => m.SeedIds.Count == 0))
            {
                // Nothing to attack: no need to load the models.
                Console.WriteLine($"== {entry.Pair}: every searched seed triggered at every bound");
                fresh.Add(new ReachResult(entry.Pair, input, entry.Budget, string.Join(", ", missed.FirstOrDefault()?.Strategies ?? []), budget,
                    attempts.Select(t => t.Label).ToArray(), entry.Seeds, "nothing to attack",
                    missed.Select(m => new ReachBound(m.Bound, m.Searched, 0, 0, 0, null, null, null, new Dictionary<string, int>(), 0, [])).ToArray()));
            }
            else try
            {
                var machine = MachineInfo.Now();
                var spec = catalog.Select([entry.Pair])[0];
                var p = catalog.Load(spec);
                var sel = catalog.Agreeing(p, 0, p.Dataset.EvalEnd, entry.SeedCount);
                var byId = sel.Seeds.ToDictionary(s => s.Id);
                foreach (var id in missed.SelectMany(m => m.SeedIds))
                    if (!byId.ContainsKey(id))
                        throw new ArgumentException($"{input}: pair {entry.Pair}: seed '{id}' is not among today's {sel.Describe()} (models or data changed since the file was written?)");
                Console.WriteLine($"== {entry.Pair}: {sel.Describe()}");
                var bounds = new List<ReachBound>();
                foreach (var m in missed)
                {
                    var clock = Stopwatch.StartNew();
                    var ids = m.SeedIds.Take(maxSeeds).ToArray();
                    var outcomes = ids.ToDictionary(id => id, id => new ReachSeed(id, SearchStatus.NotFound.Word(), 0, null, null, null, null));
                    var counts = attempts.ToDictionary(t => t.Label, _ => 0);
                    foreach (var t in attempts)
                    {
                        var left = ids.Where(id => outcomes[id].Attempt is null).Select(id => byId[id]).ToArray();
                        if (left.Length == 0) break;
                        var settings = Runs.Settings(SearchStrategy.Square, budget, new(), new DistortionBound { MaxLInf = m.LInf }) with
                        {
                            RunSeed = t.RunSeed,
                            Square = new SquareSettings { Objective = SquareObjective.Boundary, StartFromSeed = t.FromSeed, Toward = t.Toward },
                        };
                        var run = new SearchRunner(p.Pair, settings).Run(left);
                        foreach (var s in run.Seeds)
                        {
                            var before = outcomes[s.SeedId];
                            outcomes[s.SeedId] = s.Status == SearchStatus.Triggered
                                ? new ReachSeed(s.SeedId, s.Status.Word(), before.Queries + s.Queries, t.Label, s.Queries, s.LInf, s.Ssim is { } ss ? Math.Round(ss, 5) : null)
                                : before with { Status = s.Status.Word(), Queries = before.Queries + s.Queries };
                            if (s.Status == SearchStatus.Triggered) counts[t.Label]++;
                        }
                        Console.WriteLine($"   L∞ ≤ {m.LInf,3} {t.Label,-22} {run.Triggered}/{left.Length} of the missed seeds, {clock.Elapsed.TotalSeconds:F0} s so far");
                    }
                    var per = ids.Select(id => outcomes[id]).ToArray();
                    var hit = per.Where(s => s.Attempt is not null).ToArray();
                    bounds.Add(new ReachBound(m.Bound, m.Searched, m.SeedIds.Count, ids.Length, hit.Length,
                        Stats.Median(hit.Select(s => (double)s.Queries)), hit.Length == 0 ? null : hit.Max(s => s.Queries),
                        Stats.Median(hit.Select(s => s.Ssim ?? double.NaN)), counts, Math.Round(clock.Elapsed.TotalSeconds, 1), per));
                }
                fresh.Add(new ReachResult(entry.Pair, input, entry.Budget, string.Join(", ", missed.FirstOrDefault()?.Strategies ?? []), budget,
                    attempts.Select(t => t.Label).ToArray(), sel.Describe(), machine.Line(MachineInfo.LoadAverageNow()), bounds));
            }
            catch (MissingDataException e) { Console.Error.WriteLine($"skipped {entry.Pair}: {e.Message}"); }
            // Written after every pair, so a long run that is stopped keeps what it measured.
            var all = Runs.Merge(Runs.ReadPrevious<ReachResult>(outDir, Name, "pairs"), fresh, r => r.Pair);
            Output.Write(outDir, Name, new { figure = Name, pairs = all }, Markdown(all));
        }
        return 0;
    }

    /// <summary>Reads the pairs of a <c>bounds</c> results file; a missing or foreign file is an error naming it.</summary>
    public static IReadOnlyList<BoundsResult> ReadBounds(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{path}: no such file (run the bounds figure first, or pass --from)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("figure", out var f) || f.GetString() != Bounds.Name || !doc.RootElement.TryGetProperty("pairs", out var pairs))
                throw new ArgumentException($"{path}: not a bounds results file (no \"figure\": \"bounds\" with \"pairs\")");
            return pairs.Deserialize<List<BoundsResult>>(Output.Json) ?? [];
        }
        catch (JsonException e) { throw new ArgumentException($"{path}: not readable as a bounds results file ({e.Message})"); }
    }

    /// <summary>
    /// The seeds each L∞ bound of <paramref name="pair"/> left untriggered: a seed counts as missed when at least one run
    /// of that bound searched it (an already-deviating seed is not searched) and no run triggered it. Only runs whose
    /// strategy name starts with one of <paramref name="strategies"/> count (null: every run). Unbounded and SSIM-only
    /// runs are left out. Bounds keep the file's order; seeds keep the runs' order.
    /// </summary>
    public static IReadOnlyList<MissedSeeds> Missed(BoundsResult pair, IReadOnlyList<string>? strategies = null)
    {
        var list = new List<MissedSeeds>();
        var runs = pair.Runs.Where(r => strategies is null || strategies.Any(s => r.Strategy.StartsWith(s, StringComparison.Ordinal)));
        foreach (var group in runs.GroupBy(r => r.Bound))
        {
            if (ParseLInf(group.Key) is not { } linf) continue;
            var order = new List<string>();
            var searched = new HashSet<string>();
            var triggered = new HashSet<string>();
            foreach (var s in group.SelectMany(r => r.PerSeed))
            {
                if (!order.Contains(s.Id)) order.Add(s.Id);
                if (s.Status == SearchStatus.Triggered.Word()) triggered.Add(s.Id);
                if (s.Status != SearchStatus.AlreadyDeviating.Word()) searched.Add(s.Id);
            }
            list.Add(new MissedSeeds(group.Key, linf, searched.Count, group.Select(r => r.Strategy).ToArray(),
                order.Where(id => searched.Contains(id) && !triggered.Contains(id)).ToArray()));
        }
        return list;
    }

    /// <summary>The N of a bound written "L∞ ≤ N" (alone), else null.</summary>
    public static int? ParseLInf(string bound)
    {
        const string prefix = "L∞ ≤ ";
        return bound.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(bound.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static string Markdown(IReadOnlyList<ReachResult> all)
    {
        var sb = new StringBuilder("# Reach: a long attack on the seeds no strategy triggered within the bounds figure's budget\n\n");
        sb.Append(Output.Table(["pair", "bound", "missed / searched", "long attack triggers", "median q", "max q", "median q in its attempt", "median SSIM", "by attempt"],
            all.SelectMany(r => r.Bounds.All(b => b.Missed == 0)
                ? [[r.Pair, string.Join(", ", r.Bounds.Select(b => b.Bound)), "none missed", "–", "–", "–", "–", "–", ""]]
                : r.Bounds.Select(b => (IReadOnlyList<string>)
                [
                    r.Pair, b.Bound, $"{b.Missed}/{b.Searched}", b.Attacked == 0 ? "–" : $"{b.Triggered}/{b.Attacked}" + (b.Attacked < b.Missed ? $" (first {b.Attacked})" : ""),
                    Output.F(b.MedianQueries, 0), b.MaxQueries is { } x ? x.ToString("N0", CultureInfo.InvariantCulture) : "–",
                    Output.F(Stats.Median(b.PerSeed.Where(s => s.AttemptQueries is not null).Select(s => (double)s.AttemptQueries!.Value)), 0), Output.F(b.MedianSsim, 3),
                    string.Join(", ", b.TriggeredBy.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")),
                ])), "ll"));
        sb.AppendLine();
        sb.AppendLine("Queries are summed over the attempts up to the one that triggered the seed (a seed no attempt triggers spent every attempt's budget); " +
            "\"in its attempt\" counts only the attempt that triggered it. Attempts: `original` walks toward the original model's decision boundary, " +
            "`compressed` toward the compressed model's (`--toward compressed`), both with the square strategy's boundary objective; `-from-seed`: starting from the seed instead of ±ε stripes.");
        sb.AppendLine();
        foreach (var r in all.Where(r => r.Bounds.All(b => b.Missed == 0)))
            sb.AppendLine($"- **{r.Pair}**: {r.Seeds}; every seed triggered by one of {r.ShortStrategies} at {r.ShortBudget:N0} queries at every bound: nothing to attack.");
        foreach (var r in all.Where(r => r.Bounds.Any(b => b.Missed > 0)))
            sb.AppendLine($"- **{r.Pair}**: {r.Seeds}; missed = triggered by none of {r.ShortStrategies} at {r.ShortBudget:N0} queries ({Path.GetFileName(Path.GetDirectoryName(r.Source))}/{Path.GetFileName(r.Source)}); " +
                $"long attack: square boundary attempts {string.Join(" → ", r.Attempts)} (run seeds 1–{r.Attempts.Count}), {r.AttemptBudget:N0} queries each. Measured {r.Machine}.");
        return sb.ToString();
    }
}
