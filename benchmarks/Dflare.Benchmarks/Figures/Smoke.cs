using System.Diagnostics;
using Dflare.Benchmarks.Harness;

namespace Dflare.Benchmarks.Figures;

/// <summary>The tiny configuration CI runs: every strategy on 3 seeds of the demo pair (needs nothing from ../shared).</summary>
internal static class Smoke
{
    public const string Name = "smoke";

    public static int Run(Args a)
    {
        int seeds = a.Int("seeds", 3);
        long budget = a.Long("budget", 200);
        var outDir = a.Str("out", Path.Combine(Path.GetTempPath(), "dflare-bench-smoke"));
        a.CheckAllUsed();
        var sw = Stopwatch.StartNew();
        var r = Execute(outDir, seeds, budget);
        Console.WriteLine($"smoke: {r.Strategies.Count} strategies on {r.SeedCount} seeds in {sw.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    /// <summary>Runs the smoke configuration and writes <c>smoke.json</c> / <c>smoke.md</c> into <paramref name="outDir"/>.</summary>
    public static PairResult Execute(string outDir, int seeds = 3, long budget = 200)
    {
        var catalog = new Catalog();
        var spec = catalog.Select(["demo"])[0];
        var r = Effectiveness.RunPair(catalog, spec, seeds, budget, Runs.Strategies(["all"]), outDir, threads: null);
        Output.Write(outDir, Name, new { figure = Name, pairs = new[] { r } }, Effectiveness.Markdown([r]));
        return r;
    }
}
