using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dflare.Benchmarks.Harness;

namespace Dflare.Benchmarks.Figures;

/// <summary>One size of the CLI memory figure: a whole <c>dflare search</c> process (journal, results.json and pictures included).</summary>
internal sealed record CliMemoryPoint(int Seeds, double Seconds, double PeakRssMb, int ExitCode, int Triggered);

/// <summary>
/// Peak resident memory of the <c>dflare search</c> command as the number of seeds grows: the built CLI runs as a child
/// process per size on a real pair (the MNIST cnn-pytorch and its int8 copy by default) and its peak RSS (VmHWM, read from
/// <c>/proc</c> while it runs) is recorded. Flat memory means the journal, the results and the pictures do not pile up.
/// </summary>
internal static class CliMemory
{
    public const string Name = "cli-memory";

    public static int Run(Args a)
    {
        var sizes = a.Ints("sizes", "200,2000");
        long budget = a.Long("budget", 100);
        var pairName = a.Str("pair", "cnn-pytorch-int8");
        var cli = a.Str("cli", Path.Combine(BenchPaths.RepoRoot, "src", "Dflare.Cli", "bin", "Release", "net10.0", "dflare.dll"));
        var outDir = a.Str("out", BenchPaths.Results);
        a.CheckAllUsed();
        if (!OperatingSystem.IsLinux()) { Console.Error.WriteLine("error: cli-memory reads /proc and runs on Linux only"); return 2; }
        BenchPaths.RequireFile(cli, "build it first: dotnet build src/Dflare.Cli -c Release");
        var catalog = new Catalog();
        var spec = catalog.Select([pairName])[0];
        var model = catalog.Models[spec.Original];
        string original = model.Path(), compressed = spec.Method is null ? catalog.Models[spec.Compressed!].Path() : catalog.Compress(model, spec.Method);
        var dataset = catalog.Datasets[model.Dataset];
        var seeds = catalog.Source(dataset).Path;
        var options = model.Options;
        var machine = MachineInfo.Now();
        var points = new List<CliMemoryPoint>();
        var work = Directory.CreateTempSubdirectory("dflare-cli-memory-").FullName;
        try
        {
            foreach (var n in sizes)
            {
                var args = new List<string>
                {
                    "exec", cli, "search", "--original", original, "--compressed", compressed, "--seeds", seeds,
                    "--limit", n.ToString(CultureInfo.InvariantCulture), "--budget", budget.ToString(CultureInfo.InvariantCulture),
                    "--out", Path.Combine(work, n.ToString(CultureInfo.InvariantCulture)),
                };
                if (options?.Mean is { } mean) args.AddRange(["--mean", string.Join(",", mean.Select(m => m.ToString(CultureInfo.InvariantCulture)))]);
                if (options?.Std is { } std) args.AddRange(["--std", string.Join(",", std.Select(s => s.ToString(CultureInfo.InvariantCulture)))]);
                var point = Child(n, args);
                Console.WriteLine($"   {n,6} seeds: {point.Seconds:F1} s, peak RSS {point.PeakRssMb:F1} MiB, exit {point.ExitCode}, {point.Triggered} triggered");
                if (point.ExitCode != 0) return 3;
                points.Add(point);
            }
        }
        finally { Directory.Delete(work, recursive: true); }
        var data = new { figure = Name, pair = spec.Describe(), budget, machine = machine.Line(MachineInfo.LoadAverageNow()), points };
        Output.Write(outDir, Name, data, Markdown(spec.Describe(), budget, data.machine, points));
        return 0;
    }

    private static CliMemoryPoint Child(int seeds, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var x in args) psi.ArgumentList.Add(x);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        double peak = 0;
        // VmHWM is the process's own high-water mark, so polling only has to catch the last value before exit.
        while (!p.WaitForExit(50)) peak = Math.Max(peak, HighWaterMb(p.Id) ?? 0);
        sw.Stop();
        if (p.ExitCode != 0) Console.Error.WriteLine(stderr.Result);
        var triggered = stdout.Result.Split('\n').FirstOrDefault(l => l.Contains("│ triggered", StringComparison.Ordinal)) is { } line
            && int.TryParse(line.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ElementAtOrDefault(1), CultureInfo.InvariantCulture, out var t) ? t : -1;
        return new CliMemoryPoint(seeds, Math.Round(sw.Elapsed.TotalSeconds, 1), Math.Round(peak, 1), p.ExitCode, triggered);
    }

    private static double? HighWaterMb(int pid)
    {
        try
        {
            foreach (var l in File.ReadLines($"/proc/{pid}/status"))
                if (l.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(l[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { } // the process just ended
        return null;
    }

    private static string Markdown(string pair, long budget, string machine, IReadOnlyList<CliMemoryPoint> points)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# {Name}: peak RSS of `dflare search` by number of seeds").AppendLine();
        sb.AppendLine($"Pair: {pair}. Budget {budget} queries per seed. {machine}.").AppendLine();
        sb.AppendLine("Each size is a fresh `dflare search` process (journal, results.json and trigger pictures written as usual); peak RSS is the kernel's VmHWM of that process.").AppendLine();
        sb.Append(Output.Table(["seeds", "seconds", "peak RSS MiB", "triggered"],
            points.Select(p => (IReadOnlyList<string>)[p.Seeds.ToString("N0", CultureInfo.InvariantCulture), Output.F(p.Seconds), Output.F(p.PeakRssMb), p.Triggered.ToString(CultureInfo.InvariantCulture)]), "rrrr"));
        if (points.Count >= 2)
        {
            var (a, b) = (points[0], points[^1]);
            sb.AppendLine().AppendLine($"From {a.Seeds:N0} to {b.Seeds:N0} seeds the peak moves by {Output.F(b.PeakRssMb - a.PeakRssMb)} MiB ({Output.F((b.PeakRssMb - a.PeakRssMb) * 1024 / Math.Max(1, b.Seeds - a.Seeds), 2)} KiB per extra seed).");
        }
        return sb.ToString();
    }
}
