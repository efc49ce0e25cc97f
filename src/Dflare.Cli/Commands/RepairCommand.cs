using System.CommandLine;
using System.Globalization;
using Dflare.Datasets;
using Dflare.Localization;
using Dflare.Models;
using Dflare.Repair;
using Dflare.Search;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare repair --original A.onnx --compressed B.onnx --results DIR --method M --out OUT.onnx</c>: repairs the
/// compressed model with the deviations of a search (ONNX graph edits and forward passes only) and writes it atomically.
/// </summary>
internal static class RepairCommand
{
    public static Command Create()
    {
        var common = new LocalizeCommand.PairAndResults();
        var method = new Option<string>("--method") { Description = "fallback, bias-correction, recalibrate (static int8 QDQ models), head-refit or activation-fallback (float compute, integer weights kept). " +
            "For a static int8 model (integer activations) start with activation-fallback --drop-ranges: on the real resnet8 int8 pair it removes most held-out confident deviations, where fallback removes few (docs/repair.md).", Required = true };
        var output = new Option<string>("--out") { Description = "The repaired model to write (atomically).", Required = true };
        var target = new Option<double>("--target") { Description = "fallback: stop when at most this fraction of the repair set (seeds + deviations) deviates (default 0).", DefaultValueFactory = _ => 0 };
        var fallbackMode = new Option<string>("--fallback-mode") { Description = "fallback: 'greedy' keeps a layer restored only if the repair set's deviations fall (default); 'ordered' restores the layers in ranking order regardless.", DefaultValueFactory = _ => "greedy" };
        var maxLayers = new Option<int>("--max-layers") { Description = "fallback: restore at most N layers (default 0: no limit).", DefaultValueFactory = _ => 0 };
        var rankBy = new Option<string>("--rank-by") { Description = "fallback: rank the layers on the 'triggers' (localisation, default) or on the clean 'seeds' alone.", DefaultValueFactory = _ => "triggers" };
        var ridge = new Option<double>("--ridge") { Description = "head-refit: ridge strength relative to the mean feature energy; the fit is pulled toward the original's head (default 0.1).", DefaultValueFactory = _ => 0.1 };
        var floatHead = new Option<bool>("--float-head") { Description = "head-refit: a float Gemm on float features, dropping the quantization of the head's input and output (by default the refit head keeps both grids)." };
        var dropRanges = new Option<bool>("--drop-ranges") { Description = "activation-fallback: also drop each activation's range (its saturation; a Relu stays where the range starts at 0), leaving only the weights integer." };
        var biasData = new Option<string>("--bias-data") { Description = "bias-correction: measure the mean error on 'all' (seeds and deviations, default) or on 'seeds' only.", DefaultValueFactory = _ => "all" };
        var calibration = new Option<string?>("--calibration") { Description = "recalibrate: calibration images (default: the results folder's seeds); the triggering inputs are added." };
        var calibrationLimit = new Option<int>("--calibration-limit") { Description = "recalibrate: calibration images taken from --calibration (default 200).", DefaultValueFactory = _ => 200 };
        var cmd = new Command("repair", "Repair a compressed model with the triggering inputs of a search: float fallback, bias correction, int8-static re-calibration, head refit or activation fallback (no training framework).");
        common.AddTo(cmd);
        cmd.AddOptions([method, output, target, fallbackMode, maxLayers, rankBy, ridge, floatHead, dropRanges, biasData, calibration, calibrationLimit]);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var m = Repairer.ParseMethod(r.GetValue(method)!);
            var outPath = r.GetValue(output)!;
            if (Directory.Exists(outPath)) throw new DflareException($"Output '{outPath}' is a folder; give a file path such as OUT.onnx.");
            if (r.GetValue(calibration) is not null && m != RepairMethod.Recalibrate)
                throw new DflareException($"--calibration applies to --method recalibrate only (the method is {Repairer.Name(m)}).");
            var onSeeds = r.GetValue(biasData) switch
            {
                "all" => false,
                "seeds" => true,
                var other => throw new DflareException($"--bias-data must be 'all' or 'seeds' (got '{other}')."),
            };
            if (r.GetValue(floatHead) && m != RepairMethod.HeadRefit) throw new DflareException($"--float-head applies to --method head-refit only (the method is {Repairer.Name(m)}).");
            if (r.GetValue(dropRanges) && m != RepairMethod.ActivationFallback) throw new DflareException($"--drop-ranges applies to --method activation-fallback only (the method is {Repairer.Name(m)}).");
            if (onSeeds && m != RepairMethod.BiasCorrection) throw new DflareException($"--bias-data applies to --method bias-correction only (the method is {Repairer.Name(m)}).");
            var mode = Repairer.ParseFallbackMode(r.GetValue(fallbackMode)!);
            var ranking = Repairer.ParseRanking(r.GetValue(rankBy)!);
            if (m != RepairMethod.Fallback && (mode != FallbackMode.Greedy || ranking != FallbackRanking.Triggers || r.GetValue(maxLayers) != 0))
                throw new DflareException($"--fallback-mode, --max-layers and --rank-by apply to --method fallback only (the method is {Repairer.Name(m)}).");
            if (r.GetValue(maxLayers) < 0) throw new DflareException($"--max-layers must be 0 (no limit) or positive (got {r.GetValue(maxLayers)}).");
            var (pair, original, compressed, o, co, set) = common.Load(r);
            var inputs = new RepairInputs
            {
                Original = original, Compressed = compressed, OriginalOptions = o, CompressedOptions = co,
                Seeds = set.Seeds.Select(s => s.Image).ToList(),
                Deviations = set.Deviations.Select(d => d.Input).ToList(),
                Pairs = set.Triggered.Select(d => new SeedTriggerPair(d.Seed.Id, d.SeedImage, d.Input)).ToList() is { Count: > 0 } p ? p : null,
            };
            var settings = new RepairSettings
            {
                Method = m, TargetRate = r.GetValue(target), FallbackMode = mode, MaxLayers = r.GetValue(maxLayers), Ranking = ranking, Ridge = r.GetValue(ridge), FloatHead = r.GetValue(floatHead), DropRanges = r.GetValue(dropRanges), BiasOnSeedsOnly = onSeeds,
                Calibration = r.GetValue(calibration) is { } c ? SeedSource.Open(c) : null, CalibrationLimit = r.GetValue(calibrationLimit),
            };
            var result = Repairer.Repair(inputs, settings);
            try { result.Model.Save(outPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DflareException($"Cannot write '{outPath}': {e.Message}", e); }
            var sidecar = ModelOptions.SidecarPath(Path.GetFullPath(r.GetValue(common.Compressed)!));
            if (File.Exists(sidecar) && ModelOptions.SidecarPath(Path.GetFullPath(outPath)) is var outSidecar && outSidecar != sidecar)
                AtomicFile.WriteAllBytes(outSidecar, File.ReadAllBytes(sidecar));

            var console = CommandRunner.HumanConsole(json: false);
            var inv = CultureInfo.InvariantCulture;
            console.MarkupLine($"[bold]dflare repair[/] ({Repairer.Name(m)}): {Markup.Escape(pair.ToString())}, repair set of {result.RepairSetSize} inputs " +
                $"({set.Seeds.Count} seeds + {set.Deviations.Count} deviations from {Markup.Escape(set.Folder.Directory)})" + (set.Stale > 0 ? $"; {set.Stale} stored deviation(s) no longer deviate" : "") + ".");
            foreach (var line in result.Changes) console.MarkupLine("  " + Markup.Escape(line));
            var t = new Table().AddColumn("").AddColumn(new TableColumn("compressed").RightAligned()).AddColumn(new TableColumn("repaired").RightAligned());
            t.AddRow("deviations on the repair set", $"{result.DeviationsBefore} / {result.RepairSetSize}", $"{result.DeviationsAfter} / {result.RepairSetSize}");
            t.AddRow("size", result.BytesBefore.ToString("N0", inv) + " B", result.BytesAfter.ToString("N0", inv) + " B");
            console.Write(t);
            console.MarkupLine($"Wrote [bold]{Markup.Escape(outPath)}[/] (ONNX Runtime loads and runs it). Judge it on held-out seeds with a fresh search, not on this repair set.");
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}
