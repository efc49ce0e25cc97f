using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Robustness;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare robustness MODEL.onnx --seeds PATH --epsilon E [--compare OTHER.onnx]</c>: query-only FGSM robustness
/// (clean and adversarial accuracy, flip rate at ε, smallest flipping ε) of one model or a model pair.
/// </summary>
internal static class RobustnessCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The ONNX model to attack (the original, with --compare)." };
        var seedOpts = new SeedOptionSet();
        var epsilon = new Option<string>("--epsilon") { Description = "L∞ budget in [0,1] pixel units, 0 < E < 1 (e.g. 0.1, or 8/255 for eight grey levels).", Required = true };
        var compare = new Option<string?>("--compare") { Description = "A second model (e.g. the compressed one), measured on the same seeds." };
        var gradients = new GradientOptionSet();
        var scan = new FlipScanOptionSet("Points of the flip-ε scan, evenly spaced up to --max-epsilon.");
        var steps = new Option<int>("--steps") { Description = "Attack steps at E: 1 is FGSM, more is the iterative variant.", DefaultValueFactory = _ => 1 };
        var stepSize = new Option<string?>("--step-size") { Description = "Step size of the iterative variant in [0,1] pixel units (default 2.5·E/steps)." };
        var loss = new Option<string>("--loss") { Description = "Loss to increase: prediction (the model's own clean prediction) or label (needs labelled seeds).", DefaultValueFactory = _ => "prediction" };
        var cosine = new Option<bool>("--cosine") { Description = "Also compute the finite-difference gradient at every seed and report the SPSA estimate's cosine similarity to it." };
        var report = new Option<string?>("--report") { Description = "Write DIR/robustness.json." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var opts = new ModelOptionSet();
        var cmd = new Command("robustness", "Query-only FGSM robustness of a model (and, with --compare, of a compressed model against its original): adversarial accuracy and flip rate at ε, smallest flipping ε per seed.")
        {
            model,
        };
        cmd.AddOptions([.. seedOpts.All, epsilon, compare, .. gradients.All, .. scan.All, steps, stepSize, loss, cosine, report, json]);
        opts.AddTo(cmd);
        var compressedOpts = ModelOptionSet.ForCompressed(); // they apply to the --compare model
        compressedOpts.AddTo(cmd);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var asJson = r.GetValue(json);
            var options = new RobustnessOptions
            {
                Epsilon = BudgetText.ParseEpsilon(r.GetValue(epsilon)!, "--epsilon"),
                MaxEpsilon = scan.ReadMaxEpsilon(r),
                Grid = r.GetValue(scan.Grid),
                Refine = r.GetValue(scan.Refine),
                Steps = r.GetValue(steps),
                StepSize = r.GetValue(stepSize) is { } a ? BudgetText.ParseFraction(a, "--step-size") : null,
                Loss = r.GetValue(loss)?.ToLowerInvariant() switch
                {
                    "prediction" => AttackLoss.Prediction,
                    "label" => AttackLoss.Label,
                    var v => throw new DflareException($"Unknown loss '{v}'; use prediction or label."),
                },
            };
            options.Validate();
            var estimator = gradients.Read(r);
            if (r.GetValue(cosine) && estimator is FiniteDifferenceGradient)
                throw new DflareException("--cosine compares an SPSA estimate with finite differences; use it with --gradient spsa.");
            var reference = r.GetValue(cosine) ? gradients.FiniteDifference(r) : null;
            var analyzer = new RobustnessAnalyzer(estimator, options, reference);

            var o = opts.Read(r);
            var source = seedOpts.Open(r);
            var clf = OnnxClassifier.Load(r.GetValue(model)!, o);
            var other = compressedOpts.LoadCompare(r, r.GetValue(compare), o, clf);
            foreach (var m in new[] { clf, other }.OfType<OnnxClassifier>())
                Console.Error.WriteLine($"Preprocessing of {Path.GetFileName(m.Path)} (value (from where)): {m.Info.DescribePreprocessing()}");
            var list = seedOpts.Load(r, source, "measure");

            RobustnessReport main = null!;
            RobustnessComparison? comparison = null;
            void Measure(Action<int>? progress)
            {
                if (other is null) main = analyzer.Analyze(clf, list, progress);
                else { comparison = analyzer.Compare(clf, other, list, progress); main = comparison.Original; }
            }
            if (asJson) Measure(null);
            else
            {
                int total = list.Count * (other is null ? 1 : 2);
                AnsiConsole.Progress().AutoClear(true).HideCompleted(true).Start(ctx =>
                {
                    var task = ctx.AddTask($"attacking {list.Count} seeds{(other is null ? "" : " on 2 models")}", maxValue: total);
                    Measure(d => task.Value = d);
                });
            }

            var obj = ToJson(options, estimator, clf.Info.ImageLength, list.Count, main, comparison, reference is not null);
            if (r.GetValue(report) is { } dir)
                AtomicFile.WriteAllText(Path.Combine(dir, "robustness.json"), obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (asJson)
            {
                Console.Out.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                return CommandRunner.Ok;
            }
            PrintHuman(AnsiConsole.Console, source, options, estimator, main, comparison);
            if (r.GetValue(report) is { } d2) AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.Combine(d2, "robustness.json"))}[/]");
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static JsonObject ToJson(RobustnessOptions o, IGradientEstimator est, int imageLength, int seeds, RobustnessReport main, RobustnessComparison? cmp, bool cosine)
    {
        var obj = new JsonObject
        {
            ["epsilon"] = o.Epsilon,
            ["epsilonGreyLevels"] = Math.Round(o.Epsilon * 255, 6),
            ["maxEpsilon"] = o.ScanMax,
            ["grid"] = o.Grid,
            ["refine"] = o.Refine,
            ["steps"] = o.Steps,
            ["stepSize"] = o.Attack.EffectiveStepSize,
            ["loss"] = o.Loss.ToString().ToLowerInvariant(),
            ["gradient"] = est.Name,
            ["gradientDescription"] = est.Description,
            ["samples"] = est is SpsaGradient s ? s.Samples : null,
            ["queriesPerGradient"] = est.ProbesPerImage(imageLength),
            ["seeds"] = seeds,
            ["adversarialImages"] = "float (not rounded to 8 bits)",
            ["model"] = Report(main, cosine),
            ["compare"] = cmp is null ? null : Report(cmp.Compressed, cosine),
            ["comparison"] = cmp is null ? null : new JsonObject
            {
                ["adversarialAccuracyDelta"] = cmp.AdversarialAccuracyDelta,
                ["flipRateDelta"] = cmp.FlipRateDelta,
                ["lessRobust"] = cmp.LessRobust,
                ["moreRobust"] = cmp.MoreRobust,
                ["equallyRobust"] = cmp.EquallyRobust,
                ["flipDisagreements"] = cmp.FlipDisagreements,
                ["transferFlips"] = cmp.TransferFlips,
                ["transferFlipRate"] = cmp.TransferFlipRate,
                ["transferAccuracy"] = cmp.TransferAccuracy,
            },
        };
        return obj;
    }

    private static JsonObject Report(RobustnessReport r, bool cosine)
    {
        var o = new JsonObject
        {
            ["path"] = r.Model,
            ["cleanAccuracy"] = r.CleanAccuracy,
            ["adversarialAccuracy"] = r.AdversarialAccuracy,
            ["flips"] = r.Flips,
            ["flipRate"] = r.FlipRate,
            ["flippedInScan"] = r.FlippedInScan,
            ["medianFlipEpsilon"] = r.MedianFlipEpsilon,
            ["meanCosineToFd"] = cosine ? r.MeanCosineToReference : null,
            ["queries"] = r.Queries,
            ["seconds"] = Math.Round(r.Seconds, 3),
            ["perSeed"] = new JsonArray(r.Seeds.Select(s =>
            {
                var e = new JsonObject
                {
                    ["id"] = s.Id,
                    ["label"] = s.Label,
                    ["clean"] = s.CleanPrediction,
                    ["adversarial"] = s.AdversarialPrediction,
                    ["cleanLoss"] = s.CleanLoss,
                    ["adversarialLoss"] = s.AdversarialLoss,
                    ["flipEpsilon"] = s.FlipEpsilon,
                };
                if (cosine) e["cosineToFd"] = s.CosineToReference;
                return (JsonNode)e;
            }).ToArray()),
        };
        if (!cosine) o.Remove("meanCosineToFd");
        return o;
    }

    private static void PrintHuman(IAnsiConsole console, SeedSource source, RobustnessOptions o, IGradientEstimator est, RobustnessReport main, RobustnessComparison? cmp)
    {
        var inv = CultureInfo.InvariantCulture;
        string Eps(double e) => string.Create(inv, $"{e:0.####} ({e * 255:0.##}/255)");
        console.MarkupLine($"[bold]{main.Count}[/] seeds from {Markup.Escape(source.Kind)}; gradient: {Markup.Escape(est.Description)}; " +
            $"{(o.Steps == 1 ? "FGSM" : $"iterative FGSM, {o.Steps} steps of {Eps(o.Attack.EffectiveStepSize)}")}, ε = {Markup.Escape(Eps(o.Epsilon))}, " +
            $"scan {o.Grid} points up to {Markup.Escape(Eps(o.ScanMax))}{(o.Refine > 0 ? $" refined by {o.Refine}" : "")}");
        var table = new Table().AddColumn("model").AddColumn(new TableColumn("clean acc.").RightAligned())
            .AddColumn(new TableColumn("adv. acc.").RightAligned()).AddColumn(new TableColumn("flips at ε").RightAligned())
            .AddColumn(new TableColumn("median flip ε").RightAligned());
        if (main.MeanCosineToReference is not null) table.AddColumn(new TableColumn("cosine to fd").RightAligned());
        table.AddColumn(new TableColumn("queries").RightAligned()).AddColumn(new TableColumn("time").RightAligned());
        void Row(RobustnessReport r)
        {
            var cells = new List<string>
            {
                Markup.Escape(Path.GetFileName(r.Model)),
                Pct(r.CleanAccuracy), Pct(r.AdversarialAccuracy),
                string.Create(inv, $"{r.Flips}/{r.Count} {r.FlipRate * 100:F1}%"),
                r.MedianFlipEpsilon is { } m ? m.ToString("0.####", inv) : Markup.Escape($"> {o.ScanMax.ToString("0.####", inv)}"),
            };
            if (main.MeanCosineToReference is not null) cells.Add(r.MeanCosineToReference?.ToString("F3", inv) ?? "n/a");
            cells.Add(r.Queries.ToString(inv));
            cells.Add(string.Create(inv, $"{r.Seconds:F1} s"));
            table.AddRow(cells.ToArray());
        }
        Row(main);
        if (cmp is not null) Row(cmp.Compressed);
        console.Write(table);
        if (cmp is not null)
        {
            console.MarkupLine($"Against the original, the compressed model flips at a smaller ε on [bold]{cmp.LessRobust}[/] seeds, a larger one on {cmp.MoreRobust}, the same on {cmp.EquallyRobust}.");
            console.MarkupLine($"The original's adversarial images at ε flip the compressed model on [bold]{cmp.TransferFlips}[/] of {cmp.Compressed.Count} seeds (transfer" +
                (cmp.TransferAccuracy is { } ta ? string.Create(inv, $"; its accuracy on them {ta * 100:F2} %") : "") + ").");
        }
    }

    private static string Pct(double? v) => v is { } x ? string.Create(CultureInfo.InvariantCulture, $"{x * 100:F2}%") : "n/a";
}
