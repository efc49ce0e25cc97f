using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Dflare.Localization;
using Dflare.Models;
using Dflare.Onnx;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare localize --original A.onnx --compressed B.onnx --results DIR</c>: per-layer error between the two models on
/// the seeds and the triggering inputs of a search, the layer where each trigger's error rises; writes
/// <c>localize.json</c> and <c>localize.png</c>.
/// </summary>
internal static class LocalizeCommand
{
    /// <summary>The options shared with <c>repair</c> and <c>export-triggers</c>: the pair, the results folder and an override of its seed source.</summary>
    internal sealed class PairAndResults
    {
        public Option<string> Original { get; } = new("--original") { Description = "The original ONNX model.", Required = true };
        public Option<string> Compressed { get; } = new("--compressed") { Description = "The compressed ONNX model.", Required = true };
        public Option<string> Results { get; } = new("--results") { Description = "A 'dflare search' output folder (results.json and triggers/).", Required = true };
        public Option<string?> Seeds { get; } = new("--seeds") { Description = "The seed source, when not the one results.json names (e.g. the search ran in another folder)." };
        public ModelOptionSet Options { get; } = new();
        public ModelOptionSet CompressedOptions { get; } = ModelOptionSet.ForCompressed();

        public void AddTo(Command cmd)
        {
            cmd.AddOptions([Original, Compressed, Results, Seeds]);
            Options.AddTo(cmd);
            CompressedOptions.AddTo(cmd);
        }

        /// <summary>Loads the pair, their graphs, their effective options and the deviations of the results folder.</summary>
        public (ModelPair Pair, OnnxModel Original, OnnxModel Compressed, ModelOptions O, ModelOptions Co, DeviationSet Set) Load(ParseResult r)
        {
            var o = Options.Read(r);
            var co = CompressedOptions.ReadCompressed(r, o);
            string a = r.GetValue(Original)!, b = r.GetValue(Compressed)!;
            var pair = ModelPair.Load(a, b, o, co);
            var set = DeviationSet.Load(r.GetValue(Results)!, pair, r.GetValue(Seeds));
            return (pair, OnnxModel.Load(a), OnnxModel.Load(b), ModelOptions.ForModel(a, o), ModelOptions.ForModel(b, co), set);
        }
    }

    public static Command Create()
    {
        var common = new PairAndResults();
        var outDir = new Option<string?>("--out") { Description = "Folder for localize.json and localize.png (default: the results folder)." };
        var threshold = new Option<double>("--threshold") { Description = "An SQNR drop from seed to trigger of at least this many dB counts as the error rising (default 6: error doubled).", DefaultValueFactory = _ => 6 };
        var cmd = new Command("localize", "Find the layers where the compressed model's error rises on triggering inputs: per-layer SQNR and relative L2 on seeds vs triggers (graph optimisations off).");
        common.AddTo(cmd);
        cmd.AddOptions([outDir, threshold]);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var (_, original, compressed, o, co, set) = common.Load(r);
            var pairs = set.Triggered.Select(d => new SeedTriggerPair(d.Seed.Id, d.SeedImage, d.Input)).ToList();
            if (pairs.Count == 0)
                throw new DflareException($"Results folder '{set.Folder.Directory}' has no triggering input that still deviates (only seeds that already deviated); localize compares triggers with their seeds.");
            var result = Localizer.Run(original, compressed, o, co, pairs, r.GetValue(threshold));
            var context = new JsonObject
            {
                ["original"] = r.GetValue(common.Original), ["compressed"] = r.GetValue(common.Compressed),
                ["results"] = r.GetValue(common.Results), ["staleDeviationsDropped"] = set.Stale,
            };
            var dir = r.GetValue(outDir) ?? set.Folder.Directory;
            var (json, chart) = LocalizeReport.Write(result, dir, context);
            Print(CommandRunner.HumanConsole(json: false), result, set.Stale);
            Console.Out.WriteLine($"Wrote {json} and {chart}.");
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static void Print(IAnsiConsole console, LocalizationResult result, int stale)
    {
        var inv = CultureInfo.InvariantCulture;
        console.MarkupLine($"[bold]dflare localize[/]: {result.Triggers.Count} triggering inputs and their seeds, {result.Match.Matched.Count} matched tensors; ONNX Runtime graph optimisations off."
            + (stale > 0 ? $" {stale} stored deviation(s) no longer deviate and were left out." : ""));
        var t = new Table().AddColumn("layer").AddColumn("op").AddColumn("compressed")
            .AddColumn(new TableColumn("SQNR seeds dB").RightAligned()).AddColumn(new TableColumn("SQNR triggers dB").RightAligned())
            .AddColumn(new TableColumn("rel L2 seeds").RightAligned()).AddColumn(new TableColumn("rel L2 triggers").RightAligned())
            .AddColumn(new TableColumn("first rise").RightAligned()).AddColumn(new TableColumn("largest rise").RightAligned());
        foreach (var l in result.Layers)
            t.AddRow(Markup.Escape(l.Name.Length <= 28 ? l.Name : "…" + l.Name[^27..]), l.Tensor.OpType, Markup.Escape(l.Tensor.CompressedOpType + (l.Tensor.ActivationFused ? "+act" : "") + (l.Tensor.Form == MatchForm.Float ? "" : $" ({l.Tensor.Form.ToString().ToLowerInvariant()})")),
                l.SeedSqnr.ToString("F1", inv), l.TriggerSqnr.ToString("F1", inv), l.SeedRelL2.ToString("F4", inv), l.TriggerRelL2.ToString("F4", inv),
                l.FirstRiseCount.ToString(inv), l.LargestRiseCount.ToString(inv));
        console.Write(t);
        if (result.Match.UnmatchedOriginal.Count + result.Match.UnmatchedCompressed.Count > 0)
            console.MarkupLine(Markup.Escape($"Unmatched: original {string.Join(", ", result.Match.UnmatchedOriginal)}; compressed {string.Join(", ", result.Match.UnmatchedCompressed)}."));
        else console.MarkupLine("Every weighted layer matched.");
        console.MarkupLine(Markup.Escape($"Repair ranking: {string.Join(" > ", result.Ranking.Take(5).Select(l => l.Name))}"));
    }
}
