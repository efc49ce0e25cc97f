using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Dflare.Benchmarks.Harness;

namespace Dflare.Benchmarks.Figures;

/// <summary>One line of the chart: a strategy's seeds and the queries each triggered seed took.</summary>
internal sealed record Curve(string Label, int Searched, IReadOnlyList<long> TriggerQueries)
{
    /// <summary>The per-seed query budget of the run(s), when the input records it.</summary>
    public long? Budget { get; init; }

    /// <summary>The share of searched seeds triggered within <paramref name="queries"/> queries.</summary>
    public double ShareBy(long queries) => Searched == 0 ? 0 : TriggerQueries.Count(q => q <= queries) / (double)Searched;
}

/// <summary>
/// Success versus queries: the share of seeds triggered within N queries, one line per strategy, from a set of
/// <c>dflare search</c> results files (or the effectiveness matrix), drawn with ScottPlot into a PNG.
/// </summary>
internal static class Curves
{
    public const string Name = "curves";

    public static int Run(Args a)
    {
        var inputs = a.List("inputs", "");
        var pairs = a.List("pairs", "");
        var only = a.List("strategies", "");
        // FROM=TO pairs: a line's label as read (e.g. "now: dflare-reference-no-memoryless") and the label to show (empty: leave the line out).
        var rename = a.List("rename", "").Select(r => r.Split('=', 2)).ToDictionary(r => r[0], r => r.Length == 2 ? r[1] : throw new ArgumentException($"--rename: '{r[0]}' is not FROM=TO"));
        var png = a.Str("png") ?? throw new ArgumentException("--png FILE is required (where the chart goes)");
        string? title = a.Str("title");
        long? maxQueries = a.Str("max-queries") is { } m ? long.Parse(m, CultureInfo.InvariantCulture) : null;
        bool logX = a.Flag("log-x");
        a.CheckAllUsed();
        if (inputs.Count == 0) throw new ArgumentException("--inputs is required: results.json files (LABEL=PATH to name a line) or an effectiveness.json");
        var curves = inputs.SelectMany(i => Read(i, pairs, only)).Select(c => rename.TryGetValue(c.Label, out var to) ? c with { Label = to } : c).Where(c => c.Label.Length > 0).ToList();
        if (curves.Count == 0) throw new ArgumentException("no strategy found in the inputs");
        long max = maxQueries ?? curves.Max(c => c.Budget) ?? Math.Max(2, curves.SelectMany(c => c.TriggerQueries).DefaultIfEmpty(2).Max());
        Draw(curves, png, title ?? "Share of seeds triggered within N queries", max, logX);
        Console.WriteLine(Table(curves, max));
        Console.WriteLine($"wrote {png}");
        return 0;
    }

    /// <summary>
    /// Curves from one input: a <c>results.json</c> of <c>dflare search</c> (one curve, labelled with its strategy or
    /// <c>LABEL=</c>), or an <c>effectiveness.json</c> (one curve per strategy, pooled over <paramref name="pairs"/>, all when
    /// empty; only the strategies in <paramref name="strategies"/> when given; <c>LABEL=</c> prefixes their names).
    /// </summary>
    public static IReadOnlyList<Curve> Read(string input, IReadOnlyList<string> pairs, IReadOnlyList<string>? strategies = null)
    {
        string? label = null;
        int eq = input.IndexOf('=');
        if (eq > 0 && !File.Exists(input)) { label = input[..eq]; input = input[(eq + 1)..]; }
        if (!File.Exists(input)) throw new ArgumentException($"{input}: no such file");
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(input)) ?? throw new ArgumentException($"{input}: empty JSON"); }
        catch (System.Text.Json.JsonException e) { throw new ArgumentException($"{input}: not JSON ({e.Message})"); }
        if (root["seeds"] is JsonArray seeds)
        {
            var name = label ?? root["run"]?["strategy"]?.GetValue<string>() ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(input)));
            return [FromSeeds(name!, seeds.Select(s => (s?["status"]?.GetValue<string>(), s?["queries"]?.GetValue<long>()))) with { Budget = root["run"]?["budget"]?.GetValue<long>() }];
        }
        if (root["pairs"] is JsonArray all)
        {
            var chosen = all.Where(p => pairs.Count == 0 || pairs.Contains(p?["pair"]?.GetValue<string>() ?? "")).ToList();
            if (chosen.Count == 0) throw new ArgumentException($"{input}: none of the pairs {string.Join(", ", pairs)}");
            return chosen.SelectMany(p => p!["strategies"]!.AsArray())
                .GroupBy(s => s!["strategy"]!.GetValue<string>())
                .Where(g => strategies is not { Count: > 0 } || strategies.Contains(g.Key))
                .Select(g => FromSeeds((label is null ? "" : label + " ") + g.Key,
                    g.SelectMany(s => s!["perSeed"]!.AsArray()).Select(x => (x?["status"]?.GetValue<string>(), x?["queries"]?.GetValue<long>())))
                    with { Budget = chosen.Max(p => p?["budget"]?.GetValue<long>()) })
                .ToList();
        }
        throw new ArgumentException($"{input}: neither a results.json (no 'seeds') nor an effectiveness.json (no 'pairs')");
    }

    private static Curve FromSeeds(string label, IEnumerable<(string? Status, long? Queries)> seeds)
    {
        var list = seeds.Where(s => s.Status != "already-deviating").ToList();
        return new Curve(label, list.Count, list.Where(s => s.Status == "triggered").Select(s => s.Queries ?? 0).Order().ToArray());
    }

    /// <summary>The chart: a step line per curve (share triggered by N queries), x linear or logarithmic.</summary>
    public static void Draw(IReadOnlyList<Curve> curves, string png, string title, long maxQueries, bool logX)
    {
        var plt = new ScottPlot.Plot();
        foreach (var c in curves)
        {
            // A step at every query count where a seed triggered, from (first, 0) to (max, final share).
            var xs = new List<double> { logX ? 1 : 0 };
            var ys = new List<double> { 0 };
            foreach (var q in c.TriggerQueries.Where(q => q <= maxQueries).Distinct())
            {
                xs.Add(q); ys.Add(c.ShareBy(q));
            }
            xs.Add(maxQueries); ys.Add(c.ShareBy(maxQueries));
            var x = logX ? xs.Select(v => Math.Log10(Math.Max(1, v))).ToArray() : xs.ToArray();
            var line = plt.Add.Scatter(x, ys.Select(v => 100 * v).ToArray());
            line.ConnectStyle = ScottPlot.ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = $"{c.Label} ({c.TriggerQueries.Count}/{c.Searched})";
        }
        plt.Title(title);
        plt.XLabel(logX ? "queries N (log scale)" : "queries N");
        plt.YLabel("seeds triggered within N queries (%)");
        plt.ShowLegend(ScottPlot.Alignment.LowerRight);
        if (logX)
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            for (double v = 1; v <= maxQueries * 1.0001; v *= 10)
                foreach (var k in new[] { 1, 2, 5 })
                    if (v * k <= maxQueries) ticks.AddMajor(Math.Log10(v * k), (v * k).ToString("N0", CultureInfo.InvariantCulture));
            plt.Axes.Bottom.TickGenerator = ticks;
            plt.Axes.SetLimits(0, Math.Log10(maxQueries), 0, 101);
        }
        else plt.Axes.SetLimits(0, maxQueries, 0, 101);
        var dir = Path.GetDirectoryName(Path.GetFullPath(png));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = png + ".tmp.png";
        plt.SavePng(tmp, 900, 560);
        File.Move(tmp, png, overwrite: true);
    }

    /// <summary>A Markdown table of the curves at a few query counts.</summary>
    public static string Table(IReadOnlyList<Curve> curves, long maxQueries)
    {
        var points = new long[] { 10, 20, 50, 100, 200, 500, 1000, 2000 }.Where(p => p <= maxQueries).ToList();
        if (!points.Contains(maxQueries)) points.Add(maxQueries);
        var sb = new StringBuilder();
        sb.Append(Output.Table(["strategy", "seeds", .. points.Select(p => $"≤ {p:N0} q")],
            curves.Select(c => (IReadOnlyList<string>)[c.Label, c.Searched.ToString(CultureInfo.InvariantCulture), .. points.Select(p => Output.Pct(c.ShareBy(p), 0))]), "ll"));
        return sb.ToString();
    }
}
