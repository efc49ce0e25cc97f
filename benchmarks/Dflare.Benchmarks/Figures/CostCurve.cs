using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dflare.Benchmarks.Harness;
using Dflare.Search;
using Dflare.Search.DiffChaser;

namespace Dflare.Benchmarks.Figures;

/// <summary>Memory of the process at one stage (MB).</summary>
internal sealed record MemoryStage(string Stage, double ManagedMb, double WorkingSetMb, double PrivateMb)
{
    public static MemoryStage Take(string stage, bool collect)
    {
        if (collect) { GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); }
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return new MemoryStage(stage, Math.Round(GC.GetTotalMemory(false) / 1048576.0, 2), Math.Round(p.WorkingSet64 / 1048576.0, 1), Math.Round(p.PrivateMemorySize64 / 1048576.0, 1));
    }
}

/// <summary>One size of the cost curve, measured in its own process.</summary>
internal sealed record CostPoint(int Seeds, long Budget, double Seconds, double SeedsPerSecond, long ModelQueries, int Triggered,
    IReadOnlyList<MemoryStage> Stages, double ManagedKbPerSeed, double PrivateKbPerSeed, int LeakCheckBatches, double LeakCheckPrivateGrowthMb, double LeakCheckManagedGrowthMb);

/// <summary>Time and memory as the number of MNIST seeds grows, one fresh process per size.</summary>
internal static class CostCurve
{
    public const string Name = "cost-curve";

    public static int Run(Args a)
    {
        var sizes = a.Ints("sizes", "100,1000,10000");
        long budget = a.Long("budget", 100);
        var pair = a.Str("pair", "cnn-pytorch-int8");
        int repeats = a.Int("repeats", 1);
        int leakBatches = a.Int("leak-batches", 2000);
        var outDir = a.Str("out", BenchPaths.Results);
        a.CheckAllUsed();
        var machine = MachineInfo.Now();
        var points = new List<CostPoint>();
        foreach (var n in sizes)
        {
            var runs = new List<CostPoint>();
            for (int r = 0; r < repeats; r++)
            {
                var point = Child(n, budget, pair, leakBatches);
                if (point is null) return 3;
                runs.Add(point);
                Console.WriteLine($"   {n,6} seeds: {point.Seconds:F1} s ({point.SeedsPerSecond:F1} seeds/s), managed {point.ManagedKbPerSeed:F2} KB/seed, private {point.PrivateKbPerSeed:F2} KB/seed, leak check +{point.LeakCheckPrivateGrowthMb:F1} MB private");
            }
            // Median by time over the repeats.
            points.Add(runs.OrderBy(x => x.Seconds).ElementAt(runs.Count / 2));
        }
        var data = new { figure = Name, pair, budget, machine = machine.Line(MachineInfo.LoadAverageNow()), points };
        Output.Write(outDir, Name, data, Markdown(pair, budget, data.machine, points));
        return 0;
    }

    private static CostPoint? Child(int seeds, long budget, string pair, int leakBatches)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(CostCurve).Assembly.Location);
        foreach (var x in new[] { "cost-curve-one", "--seeds", seeds.ToString(CultureInfo.InvariantCulture), "--budget", budget.ToString(CultureInfo.InvariantCulture), "--pair", pair, "--leak-batches", leakBatches.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(x);
        using var p = Process.Start(psi)!;
        string? result = null;
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
            if (line.StartsWith("RESULT ", StringComparison.Ordinal)) result = line[7..];
        p.WaitForExit();
        if (p.ExitCode != 0 || result is null) { Console.Error.WriteLine($"cost-curve child for {seeds} seeds failed (exit {p.ExitCode})"); return null; }
        return JsonSerializer.Deserialize<CostPoint>(result, Output.Json);
    }

    /// <summary>The child: load, search <paramref name="a"/>'s seeds, measure memory per stage, then a native-leak check.</summary>
    public static int RunOne(Args a)
    {
        int n = a.Int("seeds", 100);
        long budget = a.Long("budget", 100);
        var pairName = a.Str("pair", "cnn-pytorch-int8");
        int batches = a.Int("leak-batches", 2000);
        a.CheckAllUsed();
        var catalog = new Catalog();
        var stages = new List<MemoryStage> { MemoryStage.Take("start", true) };
        var p = catalog.Load(catalog.Select([pairName])[0]);
        var seeds = catalog.Source(p.Dataset).Load(0, n);
        stages.Add(MemoryStage.Take("models and seeds loaded", true));
        var settings = Runs.Settings(SearchStrategy.Dflare, budget, new DiffChaserSettings());
        var run = Runs.Run(p, seeds, settings);
        stages.Add(MemoryStage.Take("after search (results held)", false));
        stages.Add(MemoryStage.Take("after search, after GC (results held)", true));
        double perSeedManaged = (stages[^1].ManagedMb - stages[1].ManagedMb) * 1024 / n;
        double perSeedPrivate = (stages[^1].PrivateMb - stages[1].PrivateMb) * 1024 / n;
        // Native-leak check: many more model runs on the same pair; private memory must not grow with them.
        var images = seeds.Take(64).Select(s => s.Image).ToArray();
        for (int i = 0; i < 50; i++) p.Pair.Predict(images);
        var before = MemoryStage.Take("leak check start", true);
        for (int i = 0; i < batches; i++) p.Pair.Predict(images);
        var after = MemoryStage.Take($"leak check after {batches} batches of 64 on both models", true);
        stages.Add(before); stages.Add(after);
        var point = new CostPoint(n, budget, Math.Round(run.Seconds, 3), Math.Round(n / run.Seconds, 2), run.ModelQueries, run.Triggered, stages,
            Math.Round(perSeedManaged, 3), Math.Round(perSeedPrivate, 3), batches, Math.Round(after.PrivateMb - before.PrivateMb, 1), Math.Round(after.ManagedMb - before.ManagedMb, 2));
        GC.KeepAlive(run);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(point, Output.Json).ReplaceLineEndings(" "));
        return 0;
    }

    private static string Markdown(string pair, long budget, string machine, IReadOnlyList<CostPoint> points)
    {
        var sb = new StringBuilder($"# Cost curve: time and memory as the number of MNIST seeds grows ({pair}, DFlare, budget {budget} queries per seed)\n\n");
        sb.AppendLine($"Each size runs in a fresh process. Managed = `GC.GetTotalMemory` after a full collection; private = `Process.PrivateMemorySize64` (managed + native, incl. ONNX Runtime); per seed = growth from \"models and seeds loaded\" to \"after search, after GC\" divided by the seeds (the run keeps every seed's result: seed image, probabilities, trigger). Leak check: {(points.Count > 0 ? points[0].LeakCheckBatches : 0):N0} more batches of 64 images on both models after the search; native tensors that were not released would show as private-memory growth (an undisposed output collection alone would leak 64 × 10 floats per model and batch).").AppendLine();
        sb.Append(Output.Table(["seeds", "wall s", "seeds/s", "model queries", "triggered", "managed MB (loaded → after)", "private MB (loaded → after)", "managed KB/seed", "private KB/seed", "leak check: private MB growth"],
            points.Select(c => (IReadOnlyList<string>)
            [
                c.Seeds.ToString("N0", CultureInfo.InvariantCulture), Output.F(c.Seconds, 1), Output.F(c.SeedsPerSecond, 1), c.ModelQueries.ToString("N0", CultureInfo.InvariantCulture), c.Triggered.ToString(CultureInfo.InvariantCulture),
                $"{Output.F(c.Stages[1].ManagedMb, 1)} → {Output.F(c.Stages[3].ManagedMb, 1)}", $"{Output.F(c.Stages[1].PrivateMb, 0)} → {Output.F(c.Stages[3].PrivateMb, 0)}",
                Output.F(c.ManagedKbPerSeed, 2), Output.F(c.PrivateKbPerSeed, 2), Output.F(c.LeakCheckPrivateGrowthMb, 1),
            ])));
        sb.AppendLine().AppendLine("Marginal cost between consecutive sizes (after-GC memory with results held; one-time costs such as ONNX Runtime's arena growth cancel out):").AppendLine();
        sb.Append(Output.Table(["from → to seeds", "managed KB per extra seed", "private KB per extra seed", "seconds per extra seed"],
            points.Zip(points.Skip(1)).Select(z => (IReadOnlyList<string>)
            [
                $"{z.First.Seeds:N0} → {z.Second.Seeds:N0}",
                Output.F((z.Second.Stages[3].ManagedMb - z.First.Stages[3].ManagedMb) * 1024 / (z.Second.Seeds - z.First.Seeds), 2),
                Output.F((z.Second.Stages[3].PrivateMb - z.First.Stages[3].PrivateMb) * 1024 / (z.Second.Seeds - z.First.Seeds), 2),
                Output.F((z.Second.Seconds - z.First.Seconds) / (z.Second.Seeds - z.First.Seeds), 4),
            ])));
        sb.AppendLine().AppendLine($"Measured {machine}.");
        return sb.ToString();
    }
}
