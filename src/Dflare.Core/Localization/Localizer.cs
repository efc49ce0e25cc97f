using Dflare.Images;
using Dflare.Models;
using Dflare.Onnx;

namespace Dflare.Localization;

/// <summary>A seed and the triggering input found from it.</summary>
/// <param name="Id">The seed's id.</param>
/// <param name="Seed">The seed image (model geometry).</param>
/// <param name="Trigger">The triggering input.</param>
public sealed record SeedTriggerPair(string Id, Image Seed, Image Trigger);

/// <summary>Per-layer error between the two models, on the seeds and on their triggering inputs.</summary>
public sealed record LayerError
{
    /// <summary>The matched tensor.</summary>
    public required MatchedTensor Tensor { get; init; }
    /// <summary>Mean SQNR over the seeds, in dB (higher is closer).</summary>
    public required double SeedSqnr { get; init; }
    /// <summary>Mean SQNR over the triggering inputs, in dB.</summary>
    public required double TriggerSqnr { get; init; }
    /// <summary>Mean relative L2 error ‖a−b‖/‖a‖ over the seeds.</summary>
    public required double SeedRelL2 { get; init; }
    /// <summary>Mean relative L2 error over the triggering inputs.</summary>
    public required double TriggerRelL2 { get; init; }
    /// <summary>Triggers whose error first rises above the threshold here.</summary>
    public required int FirstRiseCount { get; init; }
    /// <summary>Triggers whose largest rise is here.</summary>
    public required int LargestRiseCount { get; init; }
    /// <summary>
    /// Mean over triggers of the SQNR drop (seed minus trigger, dB) that first appears here: the drop at this layer less the
    /// largest drop at any earlier layer, when positive. Summed over layers it gives the mean largest drop; it ranks layers
    /// for repair.
    /// </summary>
    public required double AttributedDrop { get; init; }
    /// <summary>Name.</summary>
    public string Name => Tensor.Name;
}

/// <summary>Where one trigger's error rises.</summary>
public sealed record TriggerLocalization
{
    /// <summary>The seed's id.</summary>
    public required string SeedId { get; init; }
    /// <summary>Per layer (matched order): SQNR on the seed, dB.</summary>
    public required double[] SeedSqnr { get; init; }
    /// <summary>Per layer: SQNR on the triggering input, dB.</summary>
    public required double[] TriggerSqnr { get; init; }
    /// <summary>The first layer whose SQNR on the trigger is at least the threshold below its SQNR on the seed, or null.</summary>
    public string? FirstRise { get; init; }
    /// <summary>The layer with the largest drop.</summary>
    public required string LargestRise { get; init; }
    /// <summary>The largest drop, dB.</summary>
    public required double LargestDrop { get; init; }
}

/// <summary>The result of <see cref="Localizer.Run"/>.</summary>
public sealed record LocalizationResult
{
    /// <summary>The tensor matching used.</summary>
    public required TensorMatch Match { get; init; }
    /// <summary>Per matched tensor, in graph order.</summary>
    public required IReadOnlyList<LayerError> Layers { get; init; }
    /// <summary>Per trigger.</summary>
    public required IReadOnlyList<TriggerLocalization> Triggers { get; init; }
    /// <summary>The drop (dB) that counts as "well above the seed level".</summary>
    public required double ThresholdDb { get; init; }

    /// <summary>The weighted layers ranked for repair: largest attributed drop first, then lowest SQNR on triggers.</summary>
    public IReadOnlyList<LayerError> Ranking => Layers.Where(l => l.Tensor.OriginalLayer is not null)
        .OrderByDescending(l => Math.Round(l.AttributedDrop, 6)).ThenBy(l => l.TriggerSqnr).ToList();
}

/// <summary>
/// Layer-wise localisation of deviations: runs the seeds and their triggering inputs through both models with the
/// matched tensors exposed (ONNX Runtime graph optimisations off, as ORT's own QDQ debugging tool does, so no fusion
/// hides a tensor or changes how it is computed), and measures per layer the SQNR 20·log10(‖a‖/‖a−b‖) and the relative
/// L2 error between the original (a) and the compressed model (b).
/// </summary>
public static class Localizer
{
    /// <summary>SQNR reported when the two tensors are equal (and the cap in either direction).</summary>
    public const double MaxSqnr = 150;

    /// <summary>Localises the deviations of <paramref name="pairs"/>.</summary>
    /// <param name="original">The original model.</param>
    /// <param name="compressed">The compressed model.</param>
    /// <param name="originalOptions">Preprocessing of the original.</param>
    /// <param name="compressedOptions">Preprocessing of the compressed model.</param>
    /// <param name="pairs">Seeds with their triggering inputs (at least one).</param>
    /// <param name="thresholdDb">An SQNR drop from seed to trigger of at least this many dB counts as a rise (default 6, error doubled).</param>
    /// <exception cref="DflareException">No pairs, nothing matches, or the images do not fit the models.</exception>
    public static LocalizationResult Run(OnnxModel original, OnnxModel compressed, ModelOptions? originalOptions, ModelOptions? compressedOptions,
        IReadOnlyList<SeedTriggerPair> pairs, double thresholdDb = 6)
    {
        if (pairs.Count == 0) throw new DflareException("There are no triggering inputs to localise.");
        if (!(thresholdDb > 0)) throw new DflareException($"The rise threshold must be a positive number of dB (got {thresholdDb}).");
        var match = TensorMatcher.Match(original, compressed);
        var (seedSqnr, seedRel) = Errors(original, compressed, originalOptions, compressedOptions, match, pairs.Select(p => p.Seed).ToList());
        var (trigSqnr, trigRel) = Errors(original, compressed, originalOptions, compressedOptions, match, pairs.Select(p => p.Trigger).ToList());
        int n = match.Matched.Count;
        var first = new int[n];
        var largest = new int[n];
        var attributed = new double[n];
        var triggers = new List<TriggerLocalization>(pairs.Count);
        for (int i = 0; i < pairs.Count; i++)
        {
            int firstAt = -1, maxAt = 0;
            double maxDrop = double.NegativeInfinity, runningMax = 0;
            for (int l = 0; l < n; l++)
            {
                double drop = seedSqnr[i][l] - trigSqnr[i][l];
                if (firstAt < 0 && drop >= thresholdDb) firstAt = l;
                if (drop > maxDrop) { maxDrop = drop; maxAt = l; }
                if (drop > runningMax) { attributed[l] += drop - runningMax; runningMax = drop; }
            }
            if (firstAt >= 0) first[firstAt]++;
            largest[maxAt]++;
            triggers.Add(new TriggerLocalization
            {
                SeedId = pairs[i].Id, SeedSqnr = seedSqnr[i], TriggerSqnr = trigSqnr[i],
                FirstRise = firstAt >= 0 ? match.Matched[firstAt].Name : null,
                LargestRise = match.Matched[maxAt].Name, LargestDrop = maxDrop,
            });
        }
        var layers = new List<LayerError>(n);
        for (int l = 0; l < n; l++)
            layers.Add(new LayerError
            {
                Tensor = match.Matched[l],
                SeedSqnr = seedSqnr.Average(r => r[l]), TriggerSqnr = trigSqnr.Average(r => r[l]),
                SeedRelL2 = seedRel.Average(r => r[l]), TriggerRelL2 = trigRel.Average(r => r[l]),
                FirstRiseCount = first[l], LargestRiseCount = largest[l], AttributedDrop = attributed[l] / pairs.Count,
            });
        return new LocalizationResult { Match = match, Layers = layers, Triggers = triggers, ThresholdDb = thresholdDb };
    }

    /// <summary>Per image and matched tensor: SQNR (dB) and relative L2 error of the compressed model against the original.</summary>
    /// <exception cref="DflareException">The images do not fit, or a matched tensor differs in size between the models.</exception>
    public static (double[][] Sqnr, double[][] RelL2) Errors(OnnxModel original, OnnxModel compressed, ModelOptions? originalOptions,
        ModelOptions? compressedOptions, TensorMatch match, IReadOnlyList<Image> images)
    {
        using var a = ActivationReader.Create(original, originalOptions, match.Matched.Select(m => m.OriginalTensor), disableOptimizations: true);
        using var b = ActivationReader.Create(compressed, compressedOptions, match.Matched.Select(m => m.CompressedTensor), disableOptimizations: true);
        int n = match.Matched.Count;
        var sqnr = new double[images.Count][];
        var rel = new double[images.Count][];
        for (int start = 0; start < images.Count; start += 64)
        {
            var chunk = images.Skip(start).Take(64).ToList();
            var ra = a.Read(chunk);
            var rb = b.Read(chunk);
            for (int i = 0; i < chunk.Count; i++)
            {
                sqnr[start + i] = new double[n];
                rel[start + i] = new double[n];
                for (int l = 0; l < n; l++)
                {
                    var m = match.Matched[l];
                    var x = ra[m.OriginalTensor].Rows[i];
                    var y = rb[m.CompressedTensor].Rows[i];
                    if (x.Length != y.Length)
                        throw new DflareException($"Matched tensors differ in size: '{m.OriginalTensor}' of '{original.Name}' has {x.Length} values, " +
                            $"'{m.CompressedTensor}' of '{compressed.Name}' has {y.Length}.");
                    (sqnr[start + i][l], rel[start + i][l]) = Compare(x, y);
                }
            }
        }
        return (sqnr, rel);
    }

    /// <summary>SQNR 20·log10(‖a‖/‖a−b‖) in dB (capped at ±<see cref="MaxSqnr"/>) and relative L2 ‖a−b‖/‖a‖ (capped at 1e6).</summary>
    public static (double Sqnr, double RelL2) Compare(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double na = 0, nd = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - (double)b[i];
            na += (double)a[i] * a[i];
            nd += d * d;
        }
        if (nd == 0) return (MaxSqnr, 0);
        if (na == 0) return (-MaxSqnr, 1e6);
        double ratio = Math.Sqrt(na / nd);
        return (Math.Clamp(20 * Math.Log10(ratio), -MaxSqnr, MaxSqnr), Math.Min(1e6, 1 / ratio));
    }
}
