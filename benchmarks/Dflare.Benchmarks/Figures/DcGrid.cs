using System.Globalization;
using System.Text;
using Dflare.Benchmarks.Harness;
using Dflare.Search;
using Dflare.Search.DiffChaser;

namespace Dflare.Benchmarks.Figures;

/// <summary>One grid point.</summary>
internal sealed record GridPoint(int Population, double MutationRate, int MutationStep, int Triggered, int Searched, double? MedianQueries, double? MeanQueries, double? MedianSsim, double Seconds);

/// <summary>The grid of one dataset and the point chosen.</summary>
internal sealed record GridResult(string Dataset, string Pair, string Seeds, long Budget, IReadOnlyList<GridPoint> Points, GridPoint Best, string Machine);

/// <summary>
/// DiffChaser's parameters, tuned per dataset on seeds outside the evaluation range: population × mutation rate × step.
/// Rule: most triggers, then the lowest median queries per trigger, then the highest median SSIM.
/// </summary>
internal static class DcGrid
{
    public const string Name = "dc-grid";

    /// <summary>The pair each dataset is tuned on.</summary>
    public static readonly Dictionary<string, string> TuningPair = new()
    {
        ["cifar10"] = "resnet8-real",
        ["mnist"] = "cnn-pytorch-bits4",
        ["fashion-demo"] = "demo",
    };

    public static int Run(Args a)
    {
        var catalog = new Catalog();
        var datasets = a.List("datasets", "cifar10,mnist,fashion-demo");
        int seeds = a.Int("seeds", 20);
        long budget = a.Long("budget", QueryBudget.SearchDefault);
        var populations = a.Ints("populations", "4,10");
        var rates = a.List("rates", "0.03,0.1").Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var steps = a.Ints("steps", "32,64");
        var outDir = a.Str("out", BenchPaths.Results);
        a.CheckAllUsed();

        var fresh = new List<GridResult>();
        foreach (var d in datasets)
        {
            try
            {
                var machine = MachineInfo.Now();
                var spec = catalog.Select([TuningPair[d]])[0];
                var p = catalog.Load(spec);
                var source = p.Dataset.OpenTuning is { } open ? open() : catalog.Source(p.Dataset);
                var sel = catalog.Agreeing(p, p.Dataset.TuneOffset, int.MaxValue, seeds, source);
                Console.WriteLine($"== {d} on {spec.Name}: {sel.Describe()}");
                var points = new List<GridPoint>();
                foreach (var pop in populations)
                    foreach (var rate in rates)
                        foreach (var step in steps)
                        {
                            var dc = new DiffChaserSettings { Population = pop, MutationRate = rate, MutationStep = step };
                            var run = Runs.Run(p, sel.Seeds, Runs.Settings(SearchStrategy.DiffChaser, budget, dc));
                            var g = new GridPoint(pop, rate, step, run.Triggered, run.SeedCount - run.AlreadyDeviating, run.MedianQueriesPerTrigger, run.MeanQueriesPerTrigger, run.MedianSsim, Math.Round(run.Seconds, 2));
                            points.Add(g);
                            Console.WriteLine($"   pop {pop,3} rate {rate,5} step {step,3}: {g.Triggered}/{g.Searched}, median {Output.F(g.MedianQueries, 0)} q, SSIM {Output.F(g.MedianSsim, 3)}");
                        }
                var best = points.OrderByDescending(g => g.Triggered).ThenBy(g => g.MedianQueries ?? double.MaxValue).ThenByDescending(g => g.MedianSsim ?? -1).First();
                var src = p.Dataset.OpenTuning is not null ? $"Fashion-MNIST test set (IDX), {sel.Describe()}" : sel.Describe();
                fresh.Add(new GridResult(d, spec.Name, src, budget, points, best, machine.Line(MachineInfo.LoadAverageNow())));
            }
            catch (MissingDataException e) { Console.Error.WriteLine($"skipped {d}: {e.Message}"); }
        }
        var all = Runs.Merge(Runs.ReadPrevious<GridResult>(outDir, Name, "datasets"), fresh, g => g.Dataset);
        Output.Write(outDir, Name, new { figure = Name, datasets = all }, Markdown(all));
        return 0;
    }

    private static string Markdown(IReadOnlyList<GridResult> all)
    {
        var sb = new StringBuilder("# DiffChaser parameter grid (tuning seeds, not used in the evaluation)\n\n");
        sb.AppendLine("Rule: most triggers, then the lowest median queries per trigger, then the highest median SSIM. Crossover rate 0.9, tournament 2, uncertainty weight 1 throughout.").AppendLine();
        foreach (var g in all)
        {
            sb.AppendLine($"## {g.Dataset} (pair {g.Pair}, budget {g.Budget:N0})").AppendLine();
            sb.AppendLine($"Seeds: {g.Seeds}. Measured {g.Machine}.").AppendLine();
            sb.Append(Output.Table(["population", "mutation rate", "step", "triggered", "median q", "mean q", "median SSIM", "wall s"],
                g.Points.Select(p => (IReadOnlyList<string>)
                [
                    p.Population.ToString(CultureInfo.InvariantCulture), p.MutationRate.ToString(CultureInfo.InvariantCulture), p.MutationStep.ToString(CultureInfo.InvariantCulture),
                    $"{p.Triggered}/{p.Searched}", Output.F(p.MedianQueries, 0), Output.F(p.MeanQueries, 0), Output.F(p.MedianSsim, 3), Output.F(p.Seconds, 1),
                ])));
            sb.AppendLine().AppendLine($"**Chosen:** population {g.Best.Population}, rate {g.Best.MutationRate.ToString(CultureInfo.InvariantCulture)}, step {g.Best.MutationStep}.").AppendLine();
        }
        return sb.ToString();
    }
}
