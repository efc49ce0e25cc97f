using System.CommandLine;
using Dflare.Search;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare demo</c>: a deviation search (by default <c>square</c> within L∞ ≤ 16) on the project's own demo pair — a LeNet-5 style Fashion-MNIST CNN
/// trained by <c>Demo/train_demo_model.py</c> and its weight-only int8 copy made by <c>dflare compress --method int8</c> —
/// over 100 seed images from the Fashion-MNIST test split. Needs nothing outside the tool.
/// </summary>
internal static class DemoCommand
{
    public const string Original = "fashion-lenet.onnx";
    public const string Compressed = "fashion-lenet.int8.onnx";

    /// <summary>The folder of the demo assets shipped beside the tool.</summary>
    public static string DemoDirectory => Path.Combine(AppContext.BaseDirectory, "Demo");

    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Output folder for results.json and the trigger pictures.", DefaultValueFactory = _ => "dflare-demo" };
        var budget = new Option<long>("--budget") { Description = "Model queries per seed.", DefaultValueFactory = _ => QueryBudget.SearchDefault };
        var limit = new Option<int?>("--limit") { Description = "Search at most N of the 100 demo seeds." };
        var runSeed = new Option<ulong>("--seed") { Description = "Run seed (the same seed gives the same triggering inputs).", DefaultValueFactory = _ => 0 };
        var strategy = new Option<string?>("--strategy") { Description = "square (the default with a bound), dflare (the default with --max-linf 0 = unbounded), diffchaser, random-ops, gap-only or dflare-reference." };
        var maxLinf = new Option<int>("--max-linf") { Description = "Bound: every input stays within ±N grey levels of its seed, so the seed stays recognisable (default 16; 0 = unbounded).", DefaultValueFactory = _ => 16 };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted demo in --out (same options)." };
        var cmd = new Command("demo", "Run a deviation search on the built-in demo pair (a Fashion-MNIST CNN and its int8 copy) and write the triggering inputs to a folder.")
        {
            outDir, budget, limit, runSeed, strategy, maxLinf, resume,
        };
        cmd.SetAction(r =>
        {
            var demo = DemoDirectory;
            string original = Path.Combine(demo, Original), compressed = Path.Combine(demo, Compressed), seeds = Path.Combine(demo, "seeds");
            foreach (var f in new[] { original, compressed })
                if (!File.Exists(f))
                {
                    Console.Error.WriteLine($"error: the demo model '{f}' is missing from this installation of dflare.");
                    return CommandRunner.BadInput;
                }
            var dir = Path.GetFullPath(r.GetValue(outDir)!);
            AnsiConsole.MarkupLine("[bold]dflare demo[/]: does the int8 copy of a Fashion-MNIST classifier still predict like the original?");
            AnsiConsole.MarkupLine($"  original   {Markup.Escape(original)} (float32, LeNet-5 style, 89.99 % on the Fashion-MNIST test set)");
            AnsiConsole.MarkupLine($"  compressed {Markup.Escape(compressed)} (made by `dflare compress --method int8`: per-channel int8 weights)");
            AnsiConsole.MarkupLine($"  seeds      {Markup.Escape(seeds)} (100 Fashion-MNIST test images)");
            int linf = r.GetValue(maxLinf);
            if (linf < 0 || linf > 255) { Console.Error.WriteLine($"error: --max-linf must be between 0 and 255 grey levels (got {linf})."); return CommandRunner.BadInput; }
            AnsiConsole.MarkupLine(linf > 0
                ? $"  bound      every input stays within ±{linf} grey levels of its seed (L∞ ≤ {linf}), so you can still recognise the seed; --max-linf 0 searches unbounded"
                : "  bound      none (--max-linf 0): inputs may drift far from their seeds");
            AnsiConsole.WriteLine();
            var args = new List<string>
            {
                "search", "--original", original, "--compressed", compressed, "--seeds", seeds, "--out", dir,
                "--budget", r.GetValue(budget).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--seed", r.GetValue(runSeed).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            if (r.GetValue(strategy) is { } st) args.AddRange(["--strategy", st]);
            if (linf > 0) args.AddRange(["--max-linf", linf.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (r.GetValue(limit) is { } l) args.AddRange(["--limit", l.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (r.GetValue(resume)) args.Add("--resume");
            var code = Program.Run(args);
            if (code == CommandRunner.Ok)
            {
                AnsiConsole.WriteLine();
                AnsiConsole.MarkupLine($"Open [bold]{Markup.Escape(Path.Combine(dir, "triggers"))}[/] to see each seed beside the input that makes the two models disagree.");
            }
            return code;
        });
        return cmd;
    }
}
