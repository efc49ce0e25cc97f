// Over 300 lines on purpose: the four repair methods share one evaluation loop and the repair set's bookkeeping.
using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Images;
using Dflare.Localization;
using Dflare.Models;
using Dflare.Onnx;

namespace Dflare.Repair;

/// <summary>A repair method of <c>dflare repair</c>.</summary>
public enum RepairMethod
{
    /// <summary>Restore layers to float, most damaging first (by localisation), until the deviation rate on the repair set is at or below the target.</summary>
    Fallback,
    /// <summary>Empirical bias correction (Nagel et al. 2019): add the per-channel mean of (original − compressed) pre-activation to each layer's bias, layer by layer.</summary>
    BiasCorrection,
    /// <summary>Re-quantize the original with <c>int8-static</c>, calibrated on the calibration images with the triggering inputs added.</summary>
    Recalibrate,
    /// <summary>Refit the last Gemm/MatMul to the original's logits by ridge regression on the compressed model's penultimate features.</summary>
    HeadRefit,
    /// <summary>Activation fallback: compute in float with the integer weights kept (dequantized by nodes); each activation's rounding is removed, its range kept as a Clip (<see cref="Repair.ActivationFallback"/>).</summary>
    ActivationFallback,
}

/// <summary>How fallback walks the layer ranking.</summary>
public enum FallbackMode
{
    /// <summary>A layer is kept restored only if the repair set's deviations fall (Intel Neural Compressor's loop, judged on deviations).</summary>
    Greedy,
    /// <summary>Every layer is restored in ranking order, whether or not that step lowers the repair set's deviations (with a layer limit: the first N of the ranking).</summary>
    Ordered,
}

/// <summary>What fallback ranks the layers on.</summary>
public enum FallbackRanking
{
    /// <summary>Localisation of the triggers against their seeds: the SQNR drop that first appears at a layer (<see cref="LocalizationResult.Ranking"/>).</summary>
    Triggers,
    /// <summary>The error on the clean seeds alone: the relative L2 error against the original that first appears at a layer, averaged over seeds (no trigger involved).</summary>
    Seeds,
}

/// <summary>What <see cref="Repairer"/> is given.</summary>
public sealed record RepairInputs
{
    /// <summary>The original model.</summary>
    public required OnnxModel Original { get; init; }
    /// <summary>The compressed model (not changed).</summary>
    public required OnnxModel Compressed { get; init; }
    /// <summary>The original's preprocessing (sidecar merged).</summary>
    public ModelOptions? OriginalOptions { get; init; }
    /// <summary>The compressed model's preprocessing (sidecar merged).</summary>
    public ModelOptions? CompressedOptions { get; init; }
    /// <summary>Seed images of the repair set (model geometry).</summary>
    public required IReadOnlyList<Image> Seeds { get; init; }
    /// <summary>Triggering inputs (and seeds that already deviated) of the repair set.</summary>
    public required IReadOnlyList<Image> Deviations { get; init; }
    /// <summary>Seeds paired with their triggers, for ranking layers (fallback); null to rank on <see cref="Deviations"/> against <see cref="Seeds"/> in order.</summary>
    public IReadOnlyList<SeedTriggerPair>? Pairs { get; init; }
}

/// <summary>Settings of a repair.</summary>
public sealed record RepairSettings
{
    /// <summary>The method.</summary>
    public required RepairMethod Method { get; init; }
    /// <summary>Fallback: stop when the deviation rate on the repair set is at or below this (0..1; default 0).</summary>
    public double TargetRate { get; init; }
    /// <summary>Fallback: greedy (keep a layer only if it helps, default) or ordered (restore in ranking order).</summary>
    public FallbackMode FallbackMode { get; init; }
    /// <summary>Fallback: restore at most this many layers (0 = no limit, default).</summary>
    public int MaxLayers { get; init; }
    /// <summary>Fallback: rank the layers on the triggers (default) or on the clean seeds.</summary>
    public FallbackRanking Ranking { get; init; }
    /// <summary>Head refit: ridge strength relative to the mean diagonal of the feature Gram matrix (default 0.1); the fit is pulled toward the original's head.</summary>
    public double Ridge { get; init; } = 0.1;
    /// <summary>Head refit: replace the head by a float Gemm on float features (the behaviour before the quantization grid of the head's input and output was kept).</summary>
    public bool FloatHead { get; init; }
    /// <summary>Activation fallback: also drop each activation's range (a Relu where it starts at 0), leaving a weight-only int8 model computed in float.</summary>
    public bool DropRanges { get; init; }
    /// <summary>Bias correction: measure the mean error on the seeds only (clean data, as Nagel et al. do) instead of seeds and deviations.</summary>
    public bool BiasOnSeedsOnly { get; init; }
    /// <summary>Re-calibration: the calibration images (before the triggers are added); null uses the repair set's seeds.</summary>
    public SeedSource? Calibration { get; init; }
    /// <summary>Re-calibration: calibration images taken from <see cref="Calibration"/> (default 200).</summary>
    public int CalibrationLimit { get; init; } = 200;
}

/// <summary>The outcome of a repair.</summary>
public sealed record RepairResult
{
    /// <summary>The repaired model (checked to load and run in ONNX Runtime).</summary>
    public required OnnxModel Model { get; init; }
    /// <summary>The method.</summary>
    public required RepairMethod Method { get; init; }
    /// <summary>What changed, one line per edit.</summary>
    public required IReadOnlyList<string> Changes { get; init; }
    /// <summary>Size of the compressed model, bytes.</summary>
    public required long BytesBefore { get; init; }
    /// <summary>Size of the repaired model, bytes.</summary>
    public required long BytesAfter { get; init; }
    /// <summary>Inputs of the repair set (seeds + deviations).</summary>
    public required int RepairSetSize { get; init; }
    /// <summary>Inputs of the repair set on which the compressed model's top-1 differs from the original's, before.</summary>
    public required int DeviationsBefore { get; init; }
    /// <summary>The same for the repaired model.</summary>
    public required int DeviationsAfter { get; init; }
}

/// <summary>
/// Repairs a compressed model with ONNX graph edits and forward passes only (no training framework): float fallback,
/// empirical bias correction, static int8 re-calibration with the triggers added, or a ridge refit of the head.
/// Deviations are judged as the models are deployed (ONNX Runtime with its default graph optimisations).
/// </summary>
public static class Repairer
{
    /// <summary>Parses a method name: <c>fallback</c>, <c>bias-correction</c>, <c>recalibrate</c>, <c>head-refit</c>, <c>activation-fallback</c>.</summary>
    /// <exception cref="DflareException">Unknown name.</exception>
    public static RepairMethod ParseMethod(string text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "fallback" => RepairMethod.Fallback,
        "bias-correction" or "bias" => RepairMethod.BiasCorrection,
        "recalibrate" or "recalibration" => RepairMethod.Recalibrate,
        "head-refit" or "head" => RepairMethod.HeadRefit,
        "activation-fallback" => RepairMethod.ActivationFallback,
        _ => throw new DflareException($"Unknown repair method '{text}'; the methods are: fallback, bias-correction, recalibrate, head-refit, activation-fallback."),
    };

    /// <summary>The method's name as written on the command line.</summary>
    public static string Name(RepairMethod m) => m switch
    {
        RepairMethod.Fallback => "fallback",
        RepairMethod.BiasCorrection => "bias-correction",
        RepairMethod.Recalibrate => "recalibrate",
        RepairMethod.ActivationFallback => "activation-fallback",
        _ => "head-refit",
    };

    /// <summary>Runs the repair.</summary>
    /// <exception cref="DflareException">The inputs do not fit the method (e.g. re-calibration of a model that is not static int8 QDQ).</exception>
    public static RepairResult Repair(RepairInputs inputs, RepairSettings settings)
    {
        if (inputs.Deviations.Count == 0) throw new DflareException("The repair set has no deviating inputs.");
        if (!(settings.TargetRate is >= 0 and <= 1)) throw new DflareException($"The target deviation rate must be within 0..1 (got {settings.TargetRate}).");
        var set = inputs.Seeds.Concat(inputs.Deviations).ToList();
        var reference = Labels(inputs.Original, inputs.OriginalOptions, set, optimized: true);
        int before = CountDeviations(inputs.Compressed, inputs.CompressedOptions, set, reference);
        var match = TensorMatcher.Match(inputs.Original, inputs.Compressed);
        var changes = new List<string>();
        OnnxModel repaired = settings.Method switch
        {
            RepairMethod.Fallback => Fallback(inputs, settings, match, set, reference, changes),
            RepairMethod.BiasCorrection => BiasCorrection(inputs, match, settings.BiasOnSeedsOnly ? inputs.Seeds : set, changes),
            RepairMethod.Recalibrate => Recalibrate(inputs, settings, match, changes),
            RepairMethod.ActivationFallback => ActivationFallbackOf(inputs, settings, changes),
            _ => HeadRefit(inputs, settings, match, set, changes),
        };
        int after = CountDeviations(repaired, inputs.CompressedOptions, set, reference); // also proves ORT loads and runs it
        return new RepairResult
        {
            Model = repaired, Method = settings.Method, Changes = changes,
            BytesBefore = inputs.Compressed.ToBytes().Length, BytesAfter = repaired.ToBytes().Length,
            RepairSetSize = set.Count, DeviationsBefore = before, DeviationsAfter = after,
        };
    }

    private static int[] Labels(OnnxModel model, ModelOptions? options, IReadOnlyList<Image> images, bool optimized)
    {
        using var clf = OnnxClassifier.FromBytes(model.ToBytes(), model.Name, options, disableOptimizations: !optimized);
        return clf.PredictScores(images).Select(r => Models.Labels.ArgMax(r)).ToArray();
    }

    /// <summary>Parses a fallback mode: <c>greedy</c> or <c>ordered</c>.</summary>
    /// <exception cref="DflareException">Unknown name.</exception>
    public static FallbackMode ParseFallbackMode(string text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "greedy" => FallbackMode.Greedy,
        "ordered" => FallbackMode.Ordered,
        _ => throw new DflareException($"Unknown fallback mode '{text}'; the modes are: greedy, ordered."),
    };

    /// <summary>Parses a fallback ranking: <c>triggers</c> or <c>seeds</c>.</summary>
    /// <exception cref="DflareException">Unknown name.</exception>
    public static FallbackRanking ParseRanking(string text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "triggers" => FallbackRanking.Triggers,
        "seeds" => FallbackRanking.Seeds,
        _ => throw new DflareException($"Unknown fallback ranking '{text}'; the rankings are: triggers, seeds."),
    };

    /// <summary>
    /// The weighted layers ranked on clean images alone: per image, the relative L2 error against the original that first
    /// appears at a layer (its error less the largest error at any earlier matched tensor), averaged over the images;
    /// largest first.
    /// </summary>
    /// <exception cref="DflareException">No images, or they do not fit the models.</exception>
    public static IReadOnlyList<MatchedTensor> RankOnSeeds(OnnxModel original, OnnxModel compressed, ModelOptions? originalOptions, ModelOptions? compressedOptions, IReadOnlyList<Image> seeds)
    {
        if (seeds.Count == 0) throw new DflareException("Ranking layers on the seeds needs seeds; the repair set has none.");
        var match = TensorMatcher.Match(original, compressed);
        var (_, rel) = Localizer.Errors(original, compressed, originalOptions, compressedOptions, match, seeds);
        int n = match.Matched.Count;
        var attributed = new double[n];
        foreach (var row in rel)
        {
            double runningMax = 0;
            for (int l = 0; l < n; l++)
                if (row[l] > runningMax) { attributed[l] += row[l] - runningMax; runningMax = row[l]; }
        }
        return Enumerable.Range(0, n).Where(l => match.Matched[l].OriginalLayer is not null)
            .OrderByDescending(l => Math.Round(attributed[l], 9)).ThenBy(l => l).Select(l => match.Matched[l]).ToList();
    }

    /// <summary>Inputs on which <paramref name="model"/>'s top-1 differs from <paramref name="reference"/> (run as deployed; throws if ORT cannot load it).</summary>
    public static int CountDeviations(OnnxModel model, ModelOptions? options, IReadOnlyList<Image> images, int[] reference)
    {
        var labels = Labels(model, options, images, optimized: true);
        return labels.Where((l, i) => l != reference[i]).Count();
    }

    private static OnnxModel Fallback(RepairInputs inputs, RepairSettings settings, TensorMatch match, List<Image> set, int[] reference, List<string> changes)
    {
        if (settings.MaxLayers < 0) throw new DflareException($"The layer limit must be 0 (none) or positive (got {settings.MaxLayers}).");
        IReadOnlyList<string> ranking;
        if (settings.Ranking == FallbackRanking.Seeds)
        {
            ranking = RankOnSeeds(inputs.Original, inputs.Compressed, inputs.OriginalOptions, inputs.CompressedOptions, inputs.Seeds).Select(m => m.Name).ToList();
            changes.Add($"layers ranked on the {inputs.Seeds.Count} clean seeds (relative L2 error first appearing at the layer): {string.Join(" > ", ranking)}");
        }
        else
        {
            var pairs = inputs.Pairs ?? inputs.Deviations.Select((d, i) => new SeedTriggerPair(i.ToString(System.Globalization.CultureInfo.InvariantCulture), inputs.Seeds[i % inputs.Seeds.Count], d)).ToList();
            ranking = Localizer.Run(inputs.Original, inputs.Compressed, inputs.OriginalOptions, inputs.CompressedOptions, pairs).Ranking.Select(l => l.Name).ToList();
            changes.Add($"layers ranked by localisation (SQNR drop seed → trigger first appearing at the layer): {string.Join(" > ", ranking)}");
        }
        var current = inputs.Compressed.Clone($"{inputs.Compressed.Name} (repaired)");
        int target = (int)Math.Floor(settings.TargetRate * set.Count + 1e-9);
        int now = CountDeviations(current, inputs.CompressedOptions, set, reference);
        int restored = 0;
        foreach (var name in ranking)
        {
            if (now <= target) break;
            if (settings.MaxLayers > 0 && restored >= settings.MaxLayers) { changes.Add($"layer limit reached ({settings.MaxLayers} restored)"); break; }
            var candidate = current.Clone();
            var m = TensorMatcher.Match(inputs.Original, candidate).Matched.First(x => x.Name == name && x.OriginalLayer is not null);
            var what = GraphRepairs.RestoreLayer(candidate, inputs.Original, m);
            int dev = CountDeviations(candidate, inputs.CompressedOptions, set, reference);
            if (settings.FallbackMode == FallbackMode.Ordered || dev < now)
            {
                restored++;
                changes.Add($"{what}: deviations on the repair set {now} → {dev}, size {candidate.ToBytes().Length} B");
                current = candidate;
                now = dev;
            }
            else changes.Add($"{name}: restoring it would not lower the deviations ({now} → {dev}); kept compressed");
        }
        if (now > target) changes.Add($"target not reached: {now} of {set.Count} inputs still deviate (target {target})");
        return current;
    }

    private static OnnxModel ActivationFallbackOf(RepairInputs inputs, RepairSettings settings, List<string> changes)
    {
        var current = inputs.Compressed.Clone($"{inputs.Compressed.Name} (repaired)");
        changes.AddRange(ActivationFallback.Apply(current, settings.DropRanges));
        return current;
    }

    private static OnnxModel BiasCorrection(RepairInputs inputs, TensorMatch match, IReadOnlyList<Image> set, List<string> changes)
    {
        if (set.Count == 0) throw new DflareException("Bias correction needs images to measure on; the repair set has no seeds.");
        changes.Add($"mean errors measured on {set.Count} images ({(set.Count == inputs.Seeds.Count ? "the seeds" : "seeds and deviations")})");
        var current = inputs.Compressed.Clone($"{inputs.Compressed.Name} (repaired)");
        var layers = match.Matched.Where(m => m.OriginalLayer is not null).ToList();
        var oTensors = layers.Select(m => MeasuredOriginal(m)).Distinct().ToList();
        IReadOnlyDictionary<string, TensorRows> oActs;
        using (var a = ActivationReader.Create(inputs.Original, inputs.OriginalOptions, oTensors, disableOptimizations: true)) oActs = a.Read(set);
        foreach (var name in layers.Select(l => l.Name))
        {
            var m = TensorMatcher.Match(inputs.Original, current).Matched.First(x => x.Name == name && x.OriginalLayer is not null);
            var cTensor = m.Form == MatchForm.QOperator ? m.CompressedTensor : m.CompressedLayer!.OutputTensor;
            TensorRows cRows;
            using (var b = ActivationReader.Create(current, inputs.CompressedOptions, [cTensor], disableOptimizations: true)) cRows = b.Read(set)[cTensor];
            var oRows = oActs[MeasuredOriginal(m)];
            var delta = ChannelMeanDifference(oRows, cRows, linearOnly: m.ActivationFused);
            if (delta is null) { changes.Add($"{name}: skipped (the output has no channel axis matching the bias)"); continue; }
            var what = GraphRepairs.AddToBias(current, m, delta);
            changes.Add(what ?? $"{name}: skipped ({m.CompressedOpType}'s bias cannot be corrected in place)");
        }
        return current;
    }

    private static string MeasuredOriginal(MatchedTensor m) => m.ActivationFused ? m.OriginalTensor : m.OriginalLayer!.OutputTensor;

    /// <summary>
    /// Per channel (first axis of one image's tensor) the mean of original − compressed over images and positions.
    /// With <paramref name="linearOnly"/> (an activation fused into the compressed operator) only positions where both are
    /// positive count, where the activation is the identity and the difference is the pre-activation one.
    /// </summary>
    public static double[]? ChannelMeanDifference(TensorRows original, TensorRows compressed, bool linearOnly)
    {
        var shape = original.Shape;
        if (shape.Length == 0) return null;
        int channels = shape[0];
        int stride = shape.Skip(1).Aggregate(1, (x, y) => x * y);
        var sum = new double[channels];
        var count = new long[channels];
        for (int i = 0; i < original.Rows.Length; i++)
        {
            var a = original.Rows[i];
            var b = compressed.Rows[i];
            if (a.Length != b.Length || a.Length != channels * stride) return null;
            for (int j = 0; j < a.Length; j++)
            {
                if (linearOnly && !(a[j] > 0 && b[j] > 0)) continue;
                int ch = j / stride;
                sum[ch] += a[j] - (double)b[j];
                count[ch]++;
            }
        }
        return sum.Select((s, c) => count[c] == 0 ? 0 : s / count[c]).ToArray();
    }

    private static OnnxModel Recalibrate(RepairInputs inputs, RepairSettings settings, TensorMatch match, List<string> changes)
    {
        if (!match.Matched.Any(m => m.Form == MatchForm.Qdq))
            throw new DflareException($"Re-calibration applies to static int8 QDQ models (made by 'dflare compress --method int8-static'); '{inputs.Compressed.Name}' has no " +
                "QuantizeLinear/DequantizeLinear pair on a layer output. Use fallback, bias-correction or head-refit.");
        var calibration = new List<Image>();
        if (settings.Calibration is { } source)
            calibration.AddRange(source.Enumerate(0, settings.CalibrationLimit).Select(s => s.Image));
        else calibration.AddRange(inputs.Seeds);
        int baseCount = calibration.Count;
        calibration.AddRange(inputs.Deviations);
        var context = new CompressionContext
        {
            Calibration = new ImageListSeedSource(calibration, $"{settings.Calibration?.Path ?? "repair-set seeds"} + triggering inputs"),
            CalibrationLimit = calibration.Count, ModelOptions = inputs.OriginalOptions,
        };
        var (model, outcome) = Compressor.Compress(inputs.Original, new Int8Static(), context);
        changes.Add($"re-quantized the original with int8-static calibrated on {baseCount} images from {settings.Calibration?.Path ?? "the repair set's seeds"} plus {inputs.Deviations.Count} triggering inputs");
        changes.AddRange(outcome.Notes);
        return OnnxModel.FromBytes(model.ToBytes(), $"{inputs.Compressed.Name} (recalibrated)");
    }

    private static OnnxModel HeadRefit(RepairInputs inputs, RepairSettings settings, TensorMatch match, List<Image> set, List<string> changes)
    {
        if (!(settings.Ridge > 0)) throw new DflareException($"The ridge strength must be positive (got {settings.Ridge}).");
        var head = match.Matched.LastOrDefault(m => m.OriginalLayer is { OpType: "Gemm" or "MatMul" })
            ?? throw new DflareException($"Model '{inputs.Original.Name}' has no Gemm/MatMul layer matched in '{inputs.Compressed.Name}' to refit.");
        var current = inputs.Compressed.Clone($"{inputs.Compressed.Name} (repaired)");
        var cNode = GraphRepairs.NodeWriting(current, head.CompressedLayer!.OutputTensor);
        var features = cNode.Input[0];
        // The float tensor the head's readers see.
        var output = head.CompressedTensor;
        if (head.Form == MatchForm.QOperator)
            output = current.Consumers(output).FirstOrDefault(c => c.Node.OpType == "DequantizeLinear").Node?.Output[0]
                ?? throw new DflareException($"Layer '{head.Name}': no DequantizeLinear reads '{head.CompressedTensor}'; the head cannot be replaced.");
        // The refit head reads what the compressed head reads: its features on their quantization grid (a QOperator head's
        // quantized input dequantized; a QDQ head's DequantizeLinear output as it is), and its logits are put back on the
        // compressed head's output grid. Only the weights change; a float head on float features also drops the clipping
        // of both ranges, which on the real int8 pair made confident deviations easier to find (docs/repair.md).
        (string Scale, string ZeroPoint)? outputGrid = null;
        if (settings.FloatHead)
        {
            if (current.Producer(features) is { OpType: "QuantizeLinear" } q) features = q.Input[0];
            else if (current.Producer(features) is { OpType: "DequantizeLinear" } dq && current.Producer(dq.Input[0]) is { OpType: "QuantizeLinear" } q2) features = q2.Input[0];
        }
        else
        {
            if (current.Producer(features) is { OpType: "QuantizeLinear" } q)
                features = GraphRepairs.AddDequantize(current, q, head.Name);
            if (current.Producer(output) is { OpType: "DequantizeLinear" } dqo && dqo.Input.Count >= 2 && current.Producer(dqo.Input[0]) is not null)
                outputGrid = (dqo.Input[1], dqo.Input.Count > 2 ? dqo.Input[2] : "");
        }
        var target = head.OriginalLayer!.OutputTensor;
        TensorRows f, y;
        using (var a = ActivationReader.Create(current, inputs.CompressedOptions, [features], disableOptimizations: true)) f = a.Read(set)[features];
        using (var b = ActivationReader.Create(inputs.Original, inputs.OriginalOptions, [target], disableOptimizations: true)) y = b.Read(set)[target];
        var oNode = GraphRepairs.NodeWriting(inputs.Original, target);
        var (w0, k, n) = GraphRepairs.AsKxN(head.OriginalLayer, oNode, OnnxTensors.ToFloats(WeightedLayers.StoredWeight(inputs.Original, head.OriginalLayer)));
        var b0 = new float[n];
        if (head.OriginalLayer.BiasSource is { } bs && inputs.Original.FindInitializer(bs) is { } bt)
        {
            var bv = OnnxTensors.ToFloats(bt);
            float beta = oNode.Attribute.FirstOrDefault(x => x.Name == "beta") is { } be ? be.F : 1f;
            for (int j = 0; j < n; j++) b0[j] = bv[bv.Length == 1 ? 0 : j] * beta;
        }
        if (f.Rows[0].Length != k || y.Rows[0].Length != n)
            throw new DflareException($"Layer '{head.Name}': features have {f.Rows[0].Length} values and logits {y.Rows[0].Length}, but the head is {k}x{n}.");
        var (w, bias) = Ridge.Fit(f.Rows, y.Rows, w0, b0, settings.Ridge);
        GraphRepairs.ReplaceHead(current, features, output, w, bias, k, n, head.Name, outputGrid);
        double before = Ridge.MeanSquaredError(f.Rows, y.Rows, w0, b0), after = Ridge.MeanSquaredError(f.Rows, y.Rows, w, bias);
        changes.Add($"{head.Name}: replaced by a float Gemm ({k}x{n}) refit by ridge regression (strength {settings.Ridge}, pulled toward the original's head) " +
            $"on {set.Count} inputs' penultimate features '{features}' against the original's '{target}'" +
            (settings.FloatHead ? " (float head, the head's quantization dropped)" : outputGrid is null ? "" : " (logits put back on the compressed head's output grid)") +
            $"; mean squared error to the original's logits {before:G3} (original head on these features) → {after:G3}");
        return current;
    }
}
