using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Evaluation;
using Dflare.Models;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare compress IN.onnx --method M --out OUT.onnx [--bits-per-layer name=K,...] [--calibration PATH] [--limit N]
/// [--eval SEEDS] [--eval-limit N] [--json]</c>.
/// </summary>
internal static class CompressCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("model") { Description = "The ONNX model to compress." };
        var method = new Option<string>("--method") { Description = $"Compression method: {CompressionMethod.Usage}.", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the compressed model (written atomically).", Required = true };
        var bitsPerLayer = new Option<string?>("--bits-per-layer") { Description = "With bits:K, per-layer bit widths: name=K,name=K,... (names as listed by dflare inspect)." };
        var calibration = new Option<string?>("--calibration") { Description = "int8-static: calibration images (folder, IDX file or CIFAR-10 .bin)." };
        var limit = new Option<int>("--limit") { Description = "int8-static: calibration images to use.", DefaultValueFactory = _ => 200 };
        var eval = new Option<string?>("--eval") { Description = "Labelled seeds on which to compare the original and the compressed model." };
        var evalLimit = new Option<int?>("--eval-limit") { Description = "Evaluate at most N seeds." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var opts = new ModelOptionSet();
        var cmd = new Command("compress", "Compress a model (int8, int8-static, bits:K, fp16, prune:F); report sizes and, with --eval, accuracy and disagreements.")
        {
            input, method, output, bitsPerLayer, calibration, limit, eval, evalLimit, json,
        };
        opts.AddTo(cmd);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var asJson = r.GetValue(json);
            var console = CommandRunner.HumanConsole(asJson);
            var inPath = r.GetValue(input)!;
            var outPath = r.GetValue(output)!;
            var m = CompressionMethod.Parse(r.GetValue(method)!);
            IReadOnlyDictionary<string, int>? perLayer = null;
            if (r.GetValue(bitsPerLayer) is { } bpl)
            {
                if (m is not FakeQuantBits) throw new DflareException($"--bits-per-layer applies to --method bits:K only (the method is {m.Name}).");
                perLayer = CompressionMethod.ParseBitsPerLayer(bpl);
            }
            var calPath = r.GetValue(calibration);
            if (calPath is not null && m is not Int8Static) throw new DflareException($"--calibration applies to --method int8-static only (the method is {m.Name}).");
            int calLimit = r.GetValue(limit);
            if (calLimit <= 0) throw new DflareException($"--limit must be positive (got {calLimit}).");
            if (!File.Exists(inPath)) throw new DflareException($"Model file '{inPath}' does not exist.");
            if (Path.GetFullPath(inPath) == Path.GetFullPath(outPath))
                throw new DflareException($"--out '{outPath}' is the input model; write the compressed model to another file.");
            OutputLocation.CheckFile(outPath, "--out");
            if (r.GetValue(evalLimit) is <= 0) throw new DflareException($"--eval-limit must be positive (got {r.GetValue(evalLimit)}).");
            // The preprocessing: options over the input's sidecar; used for calibration and evaluation of both models.
            var o = ModelOptions.ForModel(inPath, opts.Read(r));
            var evalSource = r.GetValue(eval) is { } ev ? SeedSource.Open(ev) : null;
            if (evalSource is { Count: 0 }) throw new DflareException($"No seeds to evaluate: --eval '{evalSource.Path}' has 0 seeds.");
            // With --eval, check the original loads with these options before anything is written.
            var original = evalSource is null ? null : OnnxClassifier.Load(inPath, o);
            var context = new CompressionContext
            {
                BitsPerLayer = perLayer,
                Calibration = calPath is null ? null : SeedSource.Open(calPath),
                CalibrationLimit = calLimit,
                ModelOptions = o,
            };

            var result = Compressor.Compress(inPath, outPath, m, context);

            EvaluationResult? er = null;
            if (evalSource is not null && original is not null)
            {
                var compressed = OnnxClassifier.Load(outPath, o);
                int total = Math.Max(0, Math.Min(r.GetValue(evalLimit) ?? int.MaxValue, evalSource.Count));
                CommandRunner.WithProgress(console, $"evaluating {total} seeds", total, progress =>
                    er = Evaluator.Evaluate(original, evalSource.Enumerate(0, r.GetValue(evalLimit)), compressed, progress: d => progress(d, null)));
            }

            if (asJson)
            {
                var obj = new JsonObject
                {
                    ["method"] = result.Method,
                    ["input"] = result.InputPath,
                    ["output"] = result.OutputPath,
                    ["bytesBefore"] = result.BytesBefore,
                    ["bytesAfter"] = result.BytesAfter,
                    ["layers"] = new JsonArray(result.Layers.Select(l => (JsonNode)JsonValue.Create(l)).ToArray()),
                    ["notes"] = new JsonArray(result.Notes.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
                };
                if (er is not null)
                {
                    obj["seeds"] = er.Seeds;
                    obj["accuracyBefore"] = er.Accuracy;
                    obj["accuracyAfter"] = er.CompareAccuracy;
                    obj["disagreements"] = er.Disagreements.Count;
                }
                Console.Out.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                return CommandRunner.Ok;
            }
            console.MarkupLine($"[bold]{Markup.Escape(result.Method)}[/]: {Markup.Escape(m.Description)}");
            console.MarkupLine($"{result.Layers.Count} weighted layers compressed: {Markup.Escape(string.Join(", ", result.Layers))}");
            foreach (var n in result.Notes) console.MarkupLine($"  note: {Markup.Escape(n)}");
            var t = new Table().AddColumn("model").AddColumn(new TableColumn("size").RightAligned());
            if (er is not null) t.AddColumn(new TableColumn("accuracy").RightAligned());
            var before = new List<string> { Markup.Escape(result.InputPath), Bytes(result.BytesBefore) };
            var after = new List<string> { Markup.Escape(result.OutputPath), $"{Bytes(result.BytesAfter)} ({(double)result.BytesAfter / result.BytesBefore * 100:F1} %)" };
            if (er is not null)
            {
                before.Add(Pct(er.Accuracy, er.Correct, er.Labelled));
                after.Add(Pct(er.CompareAccuracy, er.CompareCorrect ?? 0, er.Labelled));
            }
            t.AddRow(before.ToArray());
            t.AddRow(after.ToArray());
            console.Write(t);
            if (result.Sidecar is { } sc) console.MarkupLine($"preprocessing sidecar copied to {Markup.Escape(sc)}");
            if (er is not null)
                console.MarkupLine($"The two models disagree on [bold]{er.Disagreements.Count}[/] of {er.Seeds} seeds" +
                    (er.Disagreements.Count > 0 ? $": {Markup.Escape(string.Join(", ", er.Disagreements.Take(30)))}{(er.Disagreements.Count > 30 ? ", …" : "")}" : "."));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static string Bytes(long b) => b.ToString("N0", CultureInfo.InvariantCulture) + " B";

    private static string Pct(double? acc, int correct, int labelled) =>
        acc is { } a ? $"{a * 100:F2} % ({correct}/{labelled})" : "n/a (no labels)";
}
