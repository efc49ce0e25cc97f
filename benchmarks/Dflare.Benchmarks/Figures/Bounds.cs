using System.Globalization;
using System.Text;
using Dflare.Benchmarks.Harness;
using Dflare.Search;
using Dflare.Search.Square;

namespace Dflare.Benchmarks.Figures;

/// <summary>One pair under several L∞ bounds.</summary>
internal sealed record BoundsResult(string Pair, string Seeds, int SeedCount, long Budget, string Machine, IReadOnlyList<StrategyResult> Runs);

/// <summary>Success rate and queries when every mutant is clipped into ±N pixel levels of its seed.</summary>
internal static class Bounds
{
    public const string Name = "bounds";

    public static int Run(Args a)
    {
        var catalog = new Catalog();
        var pairs = catalog.Select(a.List("pairs", "resnet8-real,demo,cnn-pytorch-bits4"));
        int seeds = a.Int("seeds", 50);
        long budget = a.Long("budget", QueryBudget.SearchDefault);
        var linf = a.Ints("linf", "16,32,64");
        var strategies = Runs.Strategies(a.List("strategies", "dflare,diffchaser"));
        // square runs once per objective; the confident one (and every strategy) judges deviations with --margin.
        var objectives = a.List("objectives", "boundary").Select(SquareSettings.ParseObjective).ToArray();
        double margin = a.Double("margin", 0);
        double shrink = a.Double("shrink", 0);
        bool unbounded = a.Flag("unbounded");
        bool fromSeed = a.Flag("start-from-seed");
        var outDir = a.Str("out", BenchPaths.Results);
        a.CheckAllUsed();

        var fresh = new List<BoundsResult>();
        foreach (var spec in pairs)
        {
            try
            {
                var machine = MachineInfo.Now();
                var p = catalog.Load(spec);
                var sel = catalog.Agreeing(p, 0, p.Dataset.EvalEnd, seeds);
                var (dc, _) = Runs.DiffChaserFor(p.Dataset.Key, outDir);
                Console.WriteLine($"== {spec.Name}: {sel.Describe()}");
                var runs = new List<StrategyResult>();
                foreach (var e in unbounded ? linf.Select(l => (int?)l).Append(null) : linf.Select(l => (int?)l))
                    foreach (var s in strategies)
                        foreach (var objective in s == SearchStrategy.Square ? objectives : [SquareObjective.Auto])
                        {
                            var settings = Runs.Settings(s, budget, dc, new DistortionBound { MaxLInf = e }) with
                            {
                                MinMargin = margin, ShrinkFraction = shrink, Square = new SquareSettings { Objective = objective, StartFromSeed = fromSeed },
                            };
                            var run = Runs.Run(p, sel.Seeds, settings);
                            var r = StrategyResult.From(run);
                            if (s == SearchStrategy.Square)
                                r = r with { Strategy = $"square/{SquareSettings.Name(settings.Square.Resolve(margin))}" + (fromSeed ? " from-seed" : "") };
                            if (margin > 0) r = r with { Strategy = r.Strategy + string.Create(CultureInfo.InvariantCulture, $" m={margin}") };
                            if (shrink > 0)
                                r = r with { Strategy = r.Strategy + string.Create(CultureInfo.InvariantCulture, $" shrink {run.MedianSsimBeforeShrink:F3}→") };
                            runs.Add(r);
                            Console.WriteLine($"   {(e is { } b ? $"L∞ ≤ {b,3}" : "unbounded")} {r.Strategy,-22} {r.Triggered}/{r.Searched}, median {Output.F(r.MedianQueries, 0)} q, SSIM {Output.F(r.MedianSsim, 3)}");
                        }
                fresh.Add(new BoundsResult(spec.Name, sel.Describe(), sel.Seeds.Count, budget, machine.Line(MachineInfo.LoadAverageNow()), runs));
            }
            catch (MissingDataException e) { Console.Error.WriteLine($"skipped {spec.Name}: {e.Message}"); }
        }
        var all = Runs.Merge(Runs.ReadPrevious<BoundsResult>(outDir, Name, "pairs"), fresh, b => b.Pair);
        Output.Write(outDir, Name, new { figure = Name, pairs = all }, Markdown(all));
        return 0;
    }

    private static string Markdown(IReadOnlyList<BoundsResult> all)
    {
        var sb = new StringBuilder("# Distortion bounds: success and queries with every mutant clipped to L∞ ≤ N of its seed\n\n");
        sb.Append(Output.Table(["pair", "seeds", "bound", "strategy", "success", "median q", "mean q", "median L2", "median SSIM"],
            all.SelectMany(b => b.Runs.Select(r => (IReadOnlyList<string>)
            [
                b.Pair, b.SeedCount.ToString(CultureInfo.InvariantCulture), r.Bound, r.Strategy, $"{r.Triggered}/{r.Searched} ({Output.Pct(r.SuccessRate, 0)})",
                Output.F(r.MedianQueries, 0), Output.F(r.MeanQueries, 0), Output.F(r.MedianL2, 0), Output.F(r.MedianSsim, 3),
            ])), "llll"));
        sb.AppendLine();
        foreach (var b in all) sb.AppendLine($"- **{b.Pair}**: {b.Seeds}; budget {b.Budget:N0}. Measured {b.Machine}.");
        return sb.ToString();
    }
}
