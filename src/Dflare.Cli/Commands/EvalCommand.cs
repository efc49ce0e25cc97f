using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Datasets;
using Dflare.Evaluation;
using Dflare.Models;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary><c>dflare eval MODEL.onnx --seeds PATH [--compare OTHER.onnx] [--json]</c>: accuracy and disagreements.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The ONNX model to evaluate." };
        var seeds = new Option<string>("--seeds") { Description = "Seed images: a folder (with optional labels.csv), an IDX file or a CIFAR-10 .bin file.", Required = true };
        var labels = new Option<string?>("--labels") { Description = "Labels file (IDX labels or CSV) if not found beside the seeds." };
        var limit = new Option<int?>("--limit") { Description = "Evaluate at most N seeds." };
        var offset = new Option<int>("--offset") { Description = "Skip the first N seeds.", DefaultValueFactory = _ => 0 };
        var sample = new Option<int?>("--sample") { Description = "Evaluate N seeds sampled across the classes (deterministic; instead of --offset/--limit)." };
        var compare = new Option<string?>("--compare") { Description = "A second model (e.g. the compressed one): report its accuracy and the seeds the two disagree on." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var opts = new ModelOptionSet();
        var cmd = new Command("eval", "Accuracy of a model on labelled seeds and, with --compare, where two models disagree.")
        {
            model, seeds, labels, limit, offset, sample, compare, json,
        };
        opts.AddTo(cmd);
        var compressedOpts = ModelOptionSet.ForCompressed(); // they apply to the --compare model
        compressedOpts.AddTo(cmd);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var asJson = r.GetValue(json);
            var o = opts.Read(r);
            var source = SeedSource.Open(r.GetValue(seeds)!, r.GetValue(labels));
            var clf = OnnxClassifier.Load(r.GetValue(model)!, o);
            var other = compressedOpts.LoadCompare(r, r.GetValue(compare), o, clf);
            if (r.GetValue(offset) is var off and < 0) throw new DflareException($"--offset must not be negative (got {off}).");
            if (r.GetValue(limit) is <= 0) throw new DflareException($"--limit must be positive (got {r.GetValue(limit)}).");
            if (r.GetValue(sample) is <= 0) throw new DflareException($"--sample must be positive (got {r.GetValue(sample)}).");
            var positions = source.Select(r.GetValue(offset), r.GetValue(limit), r.GetValue(sample), runSeed: 0);
            int total = positions.Count;
            var console = CommandRunner.HumanConsole(asJson);
            if (total == 0)
                throw new DflareException($"No seeds to evaluate: '{source.Path}' has {source.Count} seeds and --offset is {r.GetValue(offset)}.");
            source.CheckLabels(positions, clf.Classes, clf.Path);
            foreach (var problem in SanityCheck.Run(clf, other, source).Problems)
                Console.Error.WriteLine($"warning: {problem}");
            if (!asJson)
                foreach (var m in new[] { clf, other }.OfType<OnnxClassifier>())
                    Console.Out.WriteLine($"Preprocessing of {Path.GetFileName(m.Path)} (value (from where)): {m.Info.DescribePreprocessing()}");
            EvaluationResult result = null!;
            CommandRunner.WithProgress(console, $"evaluating {total} seeds", total, progress =>
                result = Evaluator.Evaluate(clf, source.Enumerate(positions), other, progress: d => progress(d, null)));
            var numericIds = source is not ImageFolderSeedSource;
            if (asJson)
            {
                var obj = new JsonObject
                {
                    ["model"] = clf.Path,
                    ["compare"] = other?.Path,
                    ["seeds"] = result.Seeds,
                    ["labelled"] = result.Labelled,
                    ["accuracy"] = result.Accuracy,
                    ["compareAccuracy"] = result.CompareAccuracy,
                    ["disagreements"] = new JsonArray(result.Disagreements.Select(id =>
                        numericIds ? (JsonNode)JsonValue.Create(int.Parse(id, CultureInfo.InvariantCulture)) : JsonValue.Create(id)).ToArray()),
                    ["seconds"] = Math.Round(result.Seconds, 3),
                    ["preprocessing"] = new JsonArray(new[] { clf, other }.OfType<OnnxClassifier>().Select(m => (JsonNode)m.Info.PreprocessingJson()).ToArray()),
                };
                Console.Out.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                return CommandRunner.Ok;
            }
            var table = new Table().AddColumn("model").AddColumn("input").AddColumn(new TableColumn("accuracy").RightAligned());
            table.AddRow(Markup.Escape(clf.Path), Markup.Escape(clf.Info.ToString()), Pct(result.Accuracy, result.Correct, result.Labelled));
            if (other is not null)
                table.AddRow(Markup.Escape(other.Path), Markup.Escape(other.Info.ToString()), Pct(result.CompareAccuracy, result.CompareCorrect ?? 0, result.Labelled));
            console.MarkupLine($"[bold]{result.Seeds}[/] seeds from {Markup.Escape(source.Kind)} in {result.Seconds:F1} s");

            console.Write(table);
            if (other is not null)
            {
                console.MarkupLine($"The two models disagree on [bold]{result.Disagreements.Count}[/] of {result.Seeds} seeds" +
                    (result.Disagreements.Count > 0 ? $": {Markup.Escape(string.Join(", ", result.Disagreements.Take(50)))}{(result.Disagreements.Count > 50 ? ", …" : "")}" : "."));
            }
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static string Pct(double? acc, int correct, int labelled) =>
        acc is { } a ? $"{a * 100:F2} % ({correct}/{labelled})" : "n/a (no labels)";
}
