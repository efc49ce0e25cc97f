using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Sensitivity;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare quanos MODEL.onnx --seeds PATH [--limit N] [--epsilon E] [--gradient fd|spsa] [--samples N] [--k-init 16]
/// [--tolerance T] [--out HYBRID.onnx] [--report DIR]</c>: ANS per weighted layer, QUANOS bit widths, the hybrid-precision
/// model, and its clean / adversarial accuracy and size beside uniform 8-bit and uniform k̄-bit models.
/// </summary>
internal static class QuanosCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The float ONNX model." };
        var seedOpts = new SeedOptionSet();
        var epsilon = new Option<string>("--epsilon") { Description = "FGSM budget for x_adv in [0,1] pixel units, 0 < E < 1 (default 8/255; MNIST studies often use 0.1).", DefaultValueFactory = _ => "8/255" };
        var gradients = new GradientOptionSet();
        var kInit = new Option<int>("--k-init") { Description = "k_init of the rule k = k_init − round(k_init·ANS), 2..16.", DefaultValueFactory = _ => BitAllocation.DefaultKInit };
        var tolerance = new Option<double>("--tolerance") { Description = "Constrained variant: largest share of seeds whose clean class may differ from the float model's.", DefaultValueFactory = _ => 0.01 };
        var fragile = new Option<double>("--fragile-margin") { Description = "A layer's bits are fragile when k_init·ANS is closer than this to a rounding boundary.", DefaultValueFactory = _ => BitAllocation.DefaultFragileMargin };
        var noCompare = new Option<bool>("--no-compare") { Description = "Do not attack the hybrid and uniform models (no adversarial accuracy for them; much faster)." };
        var scan = new FlipScanOptionSet("Points of the flip-ε scan.");
        var output = new Option<string?>("--out") { Description = "Write the hybrid-precision model (fake-quantized weights, float-sized file) here." };
        var variant = new Option<string>("--variant") { Description = "Which hybrid --out writes: constrained (accuracy-constrained bits) or ans (the pure rule).", DefaultValueFactory = _ => "constrained" };
        var report = new Option<string?>("--report") { Description = "Write DIR/quanos.json and DIR/quanos-layers.png." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var opts = new ModelOptionSet();
        var cmd = new Command("quanos", "QUANOS: adversarial noise sensitivity (ANS) per weighted layer, ANS-driven bit widths and the hybrid-precision model, compared with uniform 8-bit and uniform mean-bit models.")
        {
            model,
        };
        cmd.AddOptions([.. seedOpts.All, epsilon, .. gradients.All, kInit, tolerance, fragile, noCompare, .. scan.All, output, variant, report, json]);
        opts.AddTo(cmd);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var asJson = r.GetValue(json);
            var console = CommandRunner.HumanConsole(asJson);
            var estimator = gradients.Read(r);
            var options = new QuanosOptions
            {
                Epsilon = EpsilonText.ParseEpsilon(r.GetValue(epsilon)!, "--epsilon"),
                Gradient = estimator,
                KInit = r.GetValue(kInit),
                Tolerance = r.GetValue(tolerance),
                FragileMargin = r.GetValue(fragile),
                Compare = !r.GetValue(noCompare),
                Grid = r.GetValue(scan.Grid),
                MaxEpsilon = scan.ReadMaxEpsilon(r),
                Refine = r.GetValue(scan.Refine),
            };
            options.Validate();
            var which = r.GetValue(variant)?.ToLowerInvariant() switch
            {
                "constrained" => PrecisionKind.ConstrainedHybrid,
                "ans" or "pure" => PrecisionKind.AnsHybrid,
                var v => throw new DflareException($"Unknown --variant '{v}'; use constrained or ans."),
            };
            var path = r.GetValue(model)!;
            var outPath = r.GetValue(output);
            if (outPath is not null)
            {
                if (Directory.Exists(outPath)) throw new DflareException($"--out '{outPath}' is a folder; give a file path such as HYBRID.onnx.");
                if (!File.Exists(path)) throw new DflareException($"Model file '{path}' does not exist.");
                if (Path.GetFullPath(path) == Path.GetFullPath(outPath))
                    throw new DflareException($"--out '{outPath}' is the input model; write the hybrid model to another file.");
                OutputLocation.CheckFile(outPath, "--out");
                if (HybridPrecision.WhyNot(OnnxModel.Load(path)) is { } why) throw new DflareException($"--out: no hybrid-precision model can be built from '{path}': {why}.");
            }
            if (r.GetValue(report) is { } reportDir) OutputLocation.CheckFolder(reportDir, "--report");
            var o = opts.Read(r);
            var source = seedOpts.Open(r);
            var list = seedOpts.Load(r, source, "analyse");

            QuanosReport result = null!;
            using (var shown = OnnxClassifier.Load(path, o))
                CommandRunner.Note($"Preprocessing of {Path.GetFileName(path)} (value (from where)): {shown.Info.DescribePreprocessing()}");
            CommandRunner.FlushNotes();
            if (asJson || !CommandRunner.ShowProgress(console)) result = QuanosAnalysis.Run(path, o, list, options);
            else
            {
                console.Progress().AutoClear(true).HideCompleted(true).Start(ctx =>
                {
                    ProgressTask? task = null;
                    string? stage = null;
                    result = QuanosAnalysis.Run(path, o, list, options, p =>
                    {
                        if (p.Stage != stage)
                        {
                            task?.StopTask();
                            stage = p.Stage;
                            task = ctx.AddTask(Markup.Escape(p.Stage), maxValue: Math.Max(1, p.Total));
                        }
                        task!.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                    });
                    task?.StopTask();
                });
            }

            string? written = null;
            if (outPath is not null)
            {
                var hybrid = result.Variant(which)!;
                OutputLocation.WriteOrKeep("quanos", outPath, p => hybrid.Model.Save(Directory.Exists(p) ? Path.Combine(p, Path.GetFileName(outPath)) : p));
                var inSidecar = ModelOptions.SidecarPath(Path.GetFullPath(path));
                var outSidecar = ModelOptions.SidecarPath(Path.GetFullPath(outPath));
                if (File.Exists(inSidecar) && inSidecar != outSidecar) AtomicFile.WriteAllBytes(outSidecar, File.ReadAllBytes(inSidecar));
                written = outPath;
            }
            var obj = QuanosJson.ToJson(result, written, written is null ? null : which);
            if (r.GetValue(report) is { } dir)
            {
                OutputLocation.WriteOrKeep("quanos", dir, d => QuanosJson.Write(d, result, obj));
            }
            if (asJson)
            {
                Console.Out.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                return CommandRunner.Ok;
            }
            PrintHuman(console, source, result);
            if (written is not null) console.MarkupLine($"Wrote the {Markup.Escape(result.Variant(which)!.Label)} model to [bold]{Markup.Escape(written)}[/] (fake-quantized weights stored as float: the file is float-sized).");
            if (r.GetValue(report) is { } d2)
                console.MarkupLine($"Wrote [bold]{Markup.Escape(Path.Combine(d2, QuanosJson.FileName))}[/] and [bold]{Markup.Escape(Path.Combine(d2, QuanosJson.ChartFileName))}[/]");
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static void PrintHuman(IAnsiConsole console, SeedSource source, QuanosReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var o = r.Options;
        console.MarkupLine(Markup.Escape(string.Create(inv,
            $"{r.Seeds} seeds from {source.Kind}; FGSM at ε = {o.Epsilon:0.####} ({o.Epsilon * 255:0.##}/255) on the float model; gradient: {r.EstimatorDescription}; k_init {o.KInit}")));
        var t = new Table().AddColumn("#").AddColumn("layer").AddColumn("op").AddColumn(new TableColumn("params").RightAligned())
            .AddColumn(new TableColumn("ANS ± s.e.").RightAligned()).AddColumn(new TableColumn("k·ANS").RightAligned())
            .AddColumn(new TableColumn("margin").RightAligned()).AddColumn(new TableColumn("bits").RightAligned());
        if (r.ConstrainedBits is not null) t.AddColumn(new TableColumn("constrained").RightAligned());
        for (int i = 0; i < r.Layers.Count; i++)
        {
            var l = r.Layers[i];
            var cells = new List<string>
            {
                i.ToString(inv), Markup.Escape(l.Name), l.Op, l.Parameters.ToString("N0", inv),
                string.Create(inv, $"{l.Ans:0.0000} ± {l.AnsStdErr:0.0000}"), l.Scaled.ToString("0.000", inv),
                l.Margin.ToString("0.000", inv) + (l.Fragile ? " [red]fragile[/]" : ""),
                l.Bits.ToString(inv) + (l.Clamped ? Markup.Escape($" (clamped from {l.RawBits})") : ""),
            };
            if (r.ConstrainedBits is { } cb) cells.Add(cb[l.Name].ToString(inv));
            t.AddRow(cells.ToArray());
        }
        console.Write(t);
        if (r.Ans.ClampedLayers.Count > 0)
            console.MarkupLine(Markup.Escape($"Clamped to [2, {o.KInit}]: {string.Join(", ", r.Ans.ClampedLayers.Select(l => $"{l.Name} ({l.RawBits} → {l.Bits})"))}."));
        if (r.Ans.FragileLayers.Count > 0)
            console.MarkupLine(Markup.Escape(string.Create(inv, $"Fragile (k·ANS within {o.FragileMargin} of a rounding boundary; a slightly different seed sample could change the bits): {string.Join(", ", r.Ans.FragileLayers.Select(l => $"{l.Name} (margin {l.Margin:0.000})"))}.")));
        if (r.HybridUnavailable is { } why)
        {
            console.MarkupLine(Markup.Escape($"No hybrid model: {why}."));
            return;
        }
        var c = r.Constrained!;
        console.MarkupLine(Markup.Escape(string.Create(inv,
            $"Constrained variant: {c.Steps.Count} bit(s) added; agreement with the float model {c.StartAgreement * 100:0.##} % → {c.Agreement * 100:0.##} % (target ≥ {(1 - o.Tolerance) * 100:0.##} %{(c.Met ? "" : ", NOT met")}).")));
        var m = new Table().AddColumn("model").AddColumn(new TableColumn("bits/w").RightAligned())
            .AddColumn(new TableColumn("weights (vs float)").RightAligned()).AddColumn(new TableColumn("clean").RightAligned())
            .AddColumn(new TableColumn("agree").RightAligned()).AddColumn(new TableColumn("adv.").RightAligned())
            .AddColumn(new TableColumn("flip ε").RightAligned()).AddColumn(new TableColumn("transfer").RightAligned());
        foreach (var v in r.Variants)
            m.AddRow(Markup.Escape(v.Label), v.WeightedMeanBits.ToString("0.00", inv), $"{Bytes(v.Size.Bytes)} ({Pct(v.SizeVsFloat, 1)})",
                Pct(v.CleanAccuracy), Pct(v.Agreement), Pct(v.AdversarialAccuracy),
                v.MedianFlipEpsilon?.ToString("0.####", inv) ?? (v.Robustness is null ? "n/a" : "> scan"), Pct(v.TransferAccuracy));
        console.Write(m);
        console.MarkupLine(Markup.Escape("clean, adv. (own-gradient FGSM at ε), transfer (the float model's x_adv): top-1 accuracy; agree: clean top-1 agreement with float; flip ε: median smallest flipping ε."));
        console.MarkupLine(Markup.Escape(string.Create(inv, $"Weights: effective storage (weights at their bits + 32-bit scales and biases); uniform 8-bit is {Pct(1 / r.Float.SizeVsUniform8)} of float. Files: float {r.FloatFileBytes:N0} B, int8 weight-only {r.Int8FileBytes:N0} B, fake-quantized hybrid {r.HybridFileBytes:N0} B.")));
        foreach (var cl in r.Claims)
        {
            var h = r.Variant(cl.Hybrid)!;
            var test = cl.PValue is { } pv ? string.Create(inv, $" ({cl.HybridOnlyCorrect} vs {cl.UniformOnlyCorrect} seeds, McNemar p = {pv:0.###})") : "";
            console.MarkupLine(Markup.Escape(string.Create(inv,
                $"QUANOS claim, {h.Label} vs uniform {cl.UniformBits}-bit: adversarial accuracy {Delta(cl.AdversarialAccuracyDelta)}{test}, clean accuracy {Delta(cl.CleanAccuracyDelta)}, size ×{cl.SizeRatio:0.###} → ")) +
                (cl.Held switch { true => "[green]held[/]", false => "[red]did not hold[/]", null => "n/a" }));
        }
    }

    private static string Delta(double? d) => d is { } x ? string.Create(CultureInfo.InvariantCulture, $"{x * 100:+0.00;-0.00;0.00} pts") : "n/a";
    private static string Pct(double? v, int decimals = 1) => v is { } x ? (x * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%" : "n/a";
    private static string Bytes(double b) => b >= 1024 * 1024 ? string.Create(CultureInfo.InvariantCulture, $"{b / 1024 / 1024:0.00} MiB")
        : b >= 1024 ? string.Create(CultureInfo.InvariantCulture, $"{b / 1024:0.0} KiB") : string.Create(CultureInfo.InvariantCulture, $"{b:0} B");
}
