using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dflare.Attacks;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Robustness;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare robustness MODEL.onnx --seeds PATH --epsilon E [--compare OTHER.onnx] [--attack square|fgsm|all]</c>:
/// query-only robustness (clean and adversarial accuracy, flip rate at ε, smallest flipping ε) of one model or a model
/// pair, by the Square Attack and/or FGSM, with the transfer of the original's images and gradient-masking warnings.
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
        var attack = new Option<string>("--attack") { Description = "Attacks, comma-separated: square (gradient-free Square Attack, default), fgsm (query-only FGSM with --gradient), or all (both). The robustness figure is the worst case over them (and the transfer, with --compare).", DefaultValueFactory = _ => "square" };
        var queries = new Option<int>("--queries") { Description = "Square Attack: query budget per seed and attack (each step of the search over ε is one attack).", DefaultValueFactory = _ => 1000 };
        var pInit = new Option<double>("--p-init") { Description = "Square Attack: share of the image the first squares cover (halved on a fixed schedule).", DefaultValueFactory = _ => SquareAttackOptions.DefaultPInit };
        var flipSteps = new Option<int>("--flip-steps") { Description = "Square Attack: bisection steps of the search for each seed's smallest flipping ε.", DefaultValueFactory = _ => SquareRobustnessAnalyzer.DefaultFlipSteps };
        var report = new Option<string?>("--report") { Description = "Write DIR/robustness.json." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var opts = new ModelOptionSet();
        var cmd = new Command("robustness", "Query-only robustness of a model (and, with --compare, of a compressed model against its original): adversarial accuracy and flip rate at ε, smallest flipping ε per seed, by the Square Attack (default) and/or FGSM, with warnings of gradient masking.")
        {
            model,
        };
        cmd.AddOptions([.. seedOpts.All, epsilon, compare, attack, queries, pInit, flipSteps, .. gradients.All, .. scan.All, steps, stepSize, loss, cosine, report, json]);
        opts.AddTo(cmd);
        var compressedOpts = ModelOptionSet.ForCompressed(); // they apply to the --compare model
        compressedOpts.AddTo(cmd);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var asJson = r.GetValue(json);
            var options = new RobustnessOptions
            {
                Epsilon = EpsilonText.ParseEpsilon(r.GetValue(epsilon)!, "--epsilon"),
                MaxEpsilon = scan.ReadMaxEpsilon(r),
                Grid = r.GetValue(scan.Grid),
                Refine = r.GetValue(scan.Refine),
                Steps = r.GetValue(steps),
                StepSize = r.GetValue(stepSize) is { } a ? EpsilonText.ParseFraction(a, "--step-size") : null,
                Loss = r.GetValue(loss)?.ToLowerInvariant() switch
                {
                    "prediction" => AttackLoss.Prediction,
                    "label" => AttackLoss.Label,
                    var v => throw new DflareException($"Unknown loss '{v}'; use prediction or label."),
                },
            };
            options.Validate();
            var names = RobustnessAttacks.Parse(r.GetValue(attack)!);
            var estimator = gradients.Read(r);
            if (r.GetValue(cosine) && (estimator is FiniteDifferenceGradient || !names.Contains("fgsm")))
                throw new DflareException("--cosine compares an SPSA estimate with finite differences; use it with --attack fgsm (or all) and --gradient spsa.");
            var reference = r.GetValue(cosine) ? gradients.FiniteDifference(r) : null;
            var squareOptions = new SquareAttackOptions { QueriesPerSeed = r.GetValue(queries), PInit = r.GetValue(pInit), Seed = r.GetValue(gradients.Seed) };
            var attacks = RobustnessAttacks.Create(names, options, squareOptions, r.GetValue(flipSteps), estimator, reference);
            var check = new RobustnessCheck(attacks, r.GetValue(gradients.Seed));

            if (r.GetValue(report) is { } reportDir) OutputLocation.CheckFolder(reportDir, "--report");
            var o = opts.Read(r);
            var source = seedOpts.Open(r);
            var clf = OnnxClassifier.Load(r.GetValue(model)!, o);
            var other = compressedOpts.LoadCompare(r, r.GetValue(compare), o, clf);
            foreach (var m in new[] { clf, other }.OfType<OnnxClassifier>())
                CommandRunner.Note($"Preprocessing of {Path.GetFileName(m.Path)} (value (from where)): {m.Info.DescribePreprocessing()}");
            var list = seedOpts.Load(r, source, "measure");
            CommandRunner.FlushNotes();
            var inputs = AttackInput.From(clf, list);

            ModelRobustness main = null!;
            ModelRobustness? compressed = null;
            void Measure(Action<int>? progress)
            {
                if (other is null) main = check.Analyze(clf, inputs, progress);
                else { var c = check.Compare(clf, other, inputs, progress); main = c.Original; compressed = c.Compressed; }
            }
            if (asJson || !CommandRunner.ShowProgress(AnsiConsole.Console)) Measure(null);
            else
            {
                int total = list.Count * attacks.Count * (other is null ? 1 : 2);
                AnsiConsole.Progress().AutoClear(true).HideCompleted(true).Start(ctx =>
                {
                    var task = ctx.AddTask($"attacking {list.Count} seeds{(other is null ? "" : " on 2 models")}", maxValue: total);
                    Measure(d => task.Value = d);
                });
            }

            var obj = RobustnessJson.ToJson(options, names, estimator, squareOptions, r.GetValue(flipSteps), clf.Info.ImageLength, list.Count, main, compressed, reference is not null);
            if (r.GetValue(report) is { } dir)
                OutputLocation.WriteOrKeep("robustness", dir, d => RobustnessJson.Write(d, obj));
            if (asJson)
            {
                Console.Out.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                foreach (var w in main.Warnings.Concat(compressed?.Warnings ?? [])) Console.Error.WriteLine($"warning: {w.Message}");
                return CommandRunner.Ok;
            }
            PrintHuman(AnsiConsole.Console, source, options, main, compressed);
            if (r.GetValue(report) is { } d2) AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.Combine(d2, RobustnessJson.FileName))}[/]");
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static void PrintHuman(IAnsiConsole console, SeedSource source, RobustnessOptions o, ModelRobustness main, ModelRobustness? cmp)
    {
        var inv = CultureInfo.InvariantCulture;
        string Eps(double e) => string.Create(inv, $"{e:0.####} ({e * 255:0.##}/255)");
        console.MarkupLine($"[bold]{main.Count}[/] seeds from {Markup.Escape(source.Kind)}; ε = {Markup.Escape(Eps(o.Epsilon))}, flip-ε search up to {Markup.Escape(Eps(o.ScanMax))}");
        foreach (var a in main.Attacks) console.MarkupLine($"  {Markup.Escape(a.Attack)}: {Markup.Escape(a.Estimator)}");
        bool cos = main.Attacks.Any(a => a.MeanCosineToReference is not null);
        string Median(double? m) => m is { } v ? v.ToString("0.####", inv) : Markup.Escape($"> {o.ScanMax.ToString("0.####", inv)}");
        void Rows(ModelRobustness m)
        {
            // One table per model (the model's name as its title) keeps the table narrow enough for a terminal.
            var table = new Table().Title(Markup.Escape(Path.GetFileName(m.Model))).AddColumn("evidence").AddColumn(new TableColumn("clean acc.").RightAligned())
                .AddColumn(new TableColumn("adv. acc.").RightAligned()).AddColumn(new TableColumn("flips at ε").RightAligned())
                .AddColumn(new TableColumn("median flip ε").RightAligned());
            if (cos) table.AddColumn(new TableColumn("cosine to fd").RightAligned());
            table.AddColumn(new TableColumn("queries/seed").RightAligned()).AddColumn(new TableColumn("time").RightAligned());
            foreach (var r in m.Attacks)
            {
                var cells = new List<string>
                {
                    Markup.Escape(r.Attack), Pct(r.CleanAccuracy), Pct(r.AdversarialAccuracy),
                    string.Create(inv, $"{r.Flips}/{r.Count}"), Median(r.MedianFlipEpsilon),
                };
                if (cos) cells.Add(r.MeanCosineToReference?.ToString("F3", inv) ?? "");
                cells.Add(r.Count == 0 ? "0" : (r.Queries / (double)r.Count).ToString("F0", inv));
                cells.Add(string.Create(inv, $"{r.Seconds:F1} s"));
                table.AddRow(cells.ToArray());
            }
            if (m.TransferPredictions is not null)
            {
                var cells = new List<string> { "transfer", "", Pct(m.TransferAccuracy), string.Create(inv, $"{m.TransferFlips}/{m.Count}"), "" };
                if (cos) cells.Add("");
                cells.Add("1"); cells.Add("");
                table.AddRow(cells.ToArray());
            }
            if (m.Attacks.Count > 1 || m.TransferPredictions is not null)
            {
                var cells = new List<string>
                {
                    "[bold]worst case[/]", "", $"[bold]{Pct(m.AdversarialAccuracy)}[/]", string.Create(inv, $"{m.Flips}/{m.Count}"), Median(m.MedianFlipEpsilon),
                };
                if (cos) cells.Add("");
                cells.Add(""); cells.Add(string.Create(inv, $"{m.Seconds:F1} s"));
                table.AddRow(cells.ToArray());
            }
            console.Write(table);
        }
        Rows(main);
        if (cmp is not null) Rows(cmp);
        if (cmp is not null)
        {
            var pairs = RobustnessJson.FlipEpsilonPairs(main, cmp).ToList();
            console.MarkupLine($"Against the original, the compressed model flips at a smaller ε on [bold]{pairs.Count(p => p.Compressed < p.Original)}[/] seeds, a larger one on {pairs.Count(p => p.Compressed > p.Original)}, the same on {pairs.Count(p => p.Compressed == p.Original)} (worst case over the evidence).");
            console.MarkupLine($"The original's adversarial images at ε flip the compressed model on [bold]{cmp.TransferFlips}[/] of {cmp.Count} seeds (transfer" +
                (cmp.TransferAccuracy is { } ta ? string.Create(inv, $"; its accuracy on them {ta * 100:F2} %") : "") + ").");
        }
        foreach (var w in main.Warnings.Concat(cmp?.Warnings ?? []))
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w.Message)}");
    }

    private static string Pct(double? v) => v is { } x ? string.Create(CultureInfo.InvariantCulture, $"{x * 100:F2}%") : "n/a";
}
