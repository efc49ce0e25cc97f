using System.Diagnostics;
using System.Globalization;
using Dflare.Models;
using Dflare.Quanos.Adversarial;
using Dflare.Search.Random;

namespace Dflare.Quanos.Robustness;

/// <summary>What kind of gradient masking a <see cref="MaskingWarning"/> reports.</summary>
public enum MaskingKind
{
    /// <summary>The model's outputs take few distinct values around the seeds (quantized logits): small changes of the input do not move them.</summary>
    QuantizedOutputs,
    /// <summary>An FGSM attack's estimated gradient is exactly 0 on most values.</summary>
    ZeroGradients,
    /// <summary>An attack fails on seeds where the original's adversarial images (transfer) flip the model.</summary>
    AttackWeakerThanTransfer,
}

/// <summary>A sign that an attack's figure overstates a model's robustness.</summary>
/// <param name="Kind">The kind of evidence.</param>
/// <param name="Attack">The attack concerned (null for a property of the model).</param>
/// <param name="Message">A plain-words explanation with the numbers.</param>
public sealed record MaskingWarning(MaskingKind Kind, string? Attack, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}

/// <summary>
/// The robustness evidence for one model: every attack's report, the transfer of the original's adversarial images
/// (for a compressed model), masking warnings, and the combined figure — per seed the worst case over all evidence,
/// so the model is at most as robust as <see cref="AdversarialAccuracy"/> and <see cref="MedianFlipEpsilon"/> say.
/// </summary>
public sealed record ModelRobustness
{
    /// <summary>The model's path.</summary>
    public required string Model { get; init; }
    /// <summary>The budget ε of the adversarial accuracy.</summary>
    public required double Epsilon { get; init; }
    /// <summary>One report per attack, in the order the attacks were given (same seeds, same order).</summary>
    public required IReadOnlyList<RobustnessReport> Attacks { get; init; }
    /// <summary>
    /// For a compressed model: per seed its top-1 class on the original's adversarial images at ε — one per attack; the
    /// class on the first image that flips it, else on the first attack's image (null for a model measured alone).
    /// </summary>
    public IReadOnlyList<int>? TransferPredictions { get; init; }
    /// <summary>
    /// The mean over output classes and probed seeds of the share of distinct values among the outputs of random
    /// vertex images of the ε ball (1 for a float model; low when the logits are quantized). Null when not probed.
    /// </summary>
    public double? DistinctOutputShare { get; init; }
    /// <summary>Signs of gradient masking (empty when there are none).</summary>
    public required IReadOnlyList<MaskingWarning> Warnings { get; init; }
    /// <summary>Wall time of the model's attacks, the probe and the transfer, in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>Number of seeds.</summary>
    public int Count => Attacks.Count == 0 ? 0 : Attacks[0].Count;
    private IReadOnlyList<SeedRobustness> First => Attacks[0].Seeds;

    /// <summary>Whether the transfer image flips the seed (clean class ≠ transfer class); null without transfer.</summary>
    public bool? TransferFlipped(int seed) => TransferPredictions is null ? null : TransferPredictions[seed] != First[seed].CleanPrediction;

    /// <summary>Per seed: some attack (or the transfer) changes the top-1 class at ε.</summary>
    public IReadOnlyList<bool> FlippedAtEpsilon => Enumerable.Range(0, Count)
        .Select(i => Attacks.Any(a => a.Seeds[i].Flipped) || TransferFlipped(i) == true).ToArray();

    /// <summary>Per seed: the smallest flipping ε over all attacks (ε itself when only the transfer flips it), null when none flips it.</summary>
    public IReadOnlyList<double?> FlipEpsilon => Enumerable.Range(0, Count).Select(i =>
    {
        double m = Attacks.Min(a => a.Seeds[i].FlipEpsilon ?? double.PositiveInfinity);
        if (TransferFlipped(i) == true) m = Math.Min(m, Epsilon);
        return double.IsFinite(m) ? (double?)m : null;
    }).ToArray();

    /// <summary>Seeds flipped at ε by some attack or the transfer.</summary>
    public int Flips => FlippedAtEpsilon.Count(f => f);

    /// <summary>
    /// Accuracy at ε under every attack and the transfer at once: a labelled seed counts only when every adversarial
    /// image is still classified correctly (null without labels). At most the lowest single-attack figure.
    /// </summary>
    public double? AdversarialAccuracy
    {
        get
        {
            var labelled = Enumerable.Range(0, Count).Where(i => First[i].Label is not null).ToList();
            if (labelled.Count == 0) return null;
            return (double)labelled.Count(i => Attacks.All(a => a.Seeds[i].AdversarialCorrect == true)
                && (TransferPredictions is null || TransferPredictions[i] == First[i].Label)) / labelled.Count;
        }
    }

    /// <summary>Median of <see cref="FlipEpsilon"/> over all seeds, a seed never flipped counting as +∞ (null when that median is +∞).</summary>
    public double? MedianFlipEpsilon => RobustnessReport.Median(FlipEpsilon.Select(e => e ?? double.PositiveInfinity));

    /// <summary>The compressed model's accuracy on the original's adversarial images (null without transfer or labels).</summary>
    public double? TransferAccuracy
    {
        get
        {
            if (TransferPredictions is null) return null;
            var labelled = Enumerable.Range(0, Count).Where(i => First[i].Label is not null).ToList();
            return labelled.Count == 0 ? null : (double)labelled.Count(i => TransferPredictions[i] == First[i].Label) / labelled.Count;
        }
    }

    /// <summary>Seeds the transfer flips (null without transfer).</summary>
    public int? TransferFlips => TransferPredictions is null ? null : Enumerable.Range(0, Count).Count(i => TransferFlipped(i) == true);

    /// <summary>True when a warning of gradient masking was raised.</summary>
    public bool MaskingSuspected => Warnings.Count > 0;
}

/// <summary>The robustness evidence for a compressed model and its original, measured on the same seeds.</summary>
/// <param name="Original">The original's evidence.</param>
/// <param name="Compressed">The compressed model's evidence (with the transfer of the original's adversarial images).</param>
public sealed record RobustnessCheckResult(ModelRobustness Original, ModelRobustness Compressed);

/// <summary>
/// Measures robustness with one or more attacks and combines the evidence: per seed the worst case over the attacks
/// and (for a compressed model) the transfer of the original's adversarial images, with warnings when the figures
/// show gradient masking — quantized outputs, FGSM gradients that are 0 on most values, or an attack that fails where
/// the transfer succeeds.
/// </summary>
public sealed class RobustnessCheck
{
    /// <summary>Below this mean share of distinct output values the outputs count as quantized.</summary>
    public const double QuantizedOutputShare = 0.5;
    /// <summary>Above this mean share of zero gradient values an FGSM gradient counts as masked.</summary>
    public const double MaskedGradientShare = 0.5;
    /// <summary>Seeds probed for quantized outputs.</summary>
    public const int ProbeSeeds = 8;
    /// <summary>Random vertex images per probed seed.</summary>
    public const int ProbeSamples = 16;

    /// <summary>Creates the check.</summary>
    /// <param name="attacks">The attacks, strongest evidence first by convention (their ε must agree).</param>
    /// <param name="probeSeed">Run seed of the quantized-output probe's random images.</param>
    /// <exception cref="DflareException">No attack, or attacks with different ε.</exception>
    public RobustnessCheck(IReadOnlyList<IRobustnessAttack> attacks, ulong probeSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(attacks);
        if (attacks.Count == 0) throw new DflareException("A robustness check needs at least one attack.");
        if (attacks.Any(a => a.Epsilon != attacks[0].Epsilon))
            throw new DflareException("The attacks of a robustness check must share one ε.");
        Attacks = attacks;
        ProbeSeed = probeSeed;
    }

    /// <summary>The attacks.</summary>
    public IReadOnlyList<IRobustnessAttack> Attacks { get; }
    /// <summary>Run seed of the probe.</summary>
    public ulong ProbeSeed { get; }
    /// <summary>The budget ε.</summary>
    public double Epsilon => Attacks[0].Epsilon;

    /// <summary>Measures one model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="inputs">The images.</param>
    /// <param name="progress">Called with the number of (attack, image) measurements finished, out of attacks × images.</param>
    /// <exception cref="DflareException">An image does not fit the model, or lacks a label for the label loss.</exception>
    public ModelRobustness Analyze(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, Action<int>? progress = null) =>
        Measure(model, inputs, null, progress);

    /// <summary>Measures a compressed model against its original on the same images: the original first, then the compressed model with the transfer of the original's images at ε.</summary>
    /// <param name="original">The original.</param>
    /// <param name="compressed">The compressed model.</param>
    /// <param name="inputs">The images (at the geometry both models share).</param>
    /// <param name="progress">Called with the number of measurements finished, out of 2 × attacks × images.</param>
    /// <exception cref="DflareException">The models do not take the same images or classes, or an image does not fit.</exception>
    public RobustnessCheckResult Compare(OnnxClassifier original, OnnxClassifier compressed, IReadOnlyList<AttackInput> inputs, Action<int>? progress = null)
    {
        ModelPair.EnsureMatch(original, compressed);
        var a = Measure(original, inputs, null, progress);
        // Every attack's image of the original at ε is a transfer candidate for its seed.
        var transferImages = Enumerable.Range(0, inputs.Count).Select(i => a.Attacks.Select(r => r.Seeds[i].Adversarial).ToList()).ToList();
        int done = Attacks.Count * inputs.Count;
        var b = Measure(compressed, inputs, transferImages, progress is null ? null : d => progress(done + d));
        return new RobustnessCheckResult(a, b);
    }

    private ModelRobustness Measure(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, IReadOnlyList<List<float[]>>? transferImages, Action<int>? progress)
    {
        var sw = Stopwatch.StartNew();
        var reports = new List<RobustnessReport>(Attacks.Count);
        for (int k = 0; k < Attacks.Count; k++)
        {
            int before = k * inputs.Count;
            reports.Add(Attacks[k].Analyze(model, inputs, progress is null ? null : d => progress(before + d)));
        }
        int[]? transfer = null;
        if (transferImages is not null)
        {
            // Per seed, the class on the first of the original's images that flips this model (else on the first image).
            var rows = model.PredictScores(transferImages.SelectMany(t => t).ToList());
            transfer = new int[inputs.Count];
            int at = 0;
            for (int i = 0; i < inputs.Count; i++)
            {
                var preds = transferImages[i].Select((_, k) => Labels.ArgMax(rows[at + k])).ToList();
                at += transferImages[i].Count;
                int clean = reports[0].Seeds[i].CleanPrediction;
                transfer[i] = preds.FirstOrDefault(p => p != clean, preds[0]);
            }
        }
        double? distinct = inputs.Count == 0 ? null : DistinctOutputs(model, inputs, Epsilon, ProbeSeed);
        var result = new ModelRobustness
        {
            Model = model.Path, Epsilon = Epsilon, Attacks = reports, TransferPredictions = transfer, DistinctOutputShare = distinct, Warnings = [],
        };
        return result with { Warnings = Diagnose(result), Seconds = sw.Elapsed.TotalSeconds };
    }

    /// <summary>The masking warnings the evidence of one model supports.</summary>
    public static IReadOnlyList<MaskingWarning> Diagnose(ModelRobustness m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var inv = CultureInfo.InvariantCulture;
        var w = new List<MaskingWarning>();
        var name = Path.GetFileName(m.Model);
        if (m.DistinctOutputShare is { } d && d < QuantizedOutputShare)
            w.Add(new MaskingWarning(MaskingKind.QuantizedOutputs, null, string.Create(inv,
                $"{name}: its outputs are quantized (on random images of the ε ball only {d * 100:F0} % of the output values are distinct): finite differences and small steps cannot see a gradient; trust the Square Attack and transfer figures, not FGSM's.")));
        foreach (var r in m.Attacks)
        {
            if (r.MeanZeroGradientShare is { } z && z > MaskedGradientShare)
                w.Add(new MaskingWarning(MaskingKind.ZeroGradients, r.Attack, string.Create(inv,
                    $"{name}: the {r.Attack} gradient estimate is exactly 0 on {z * 100:F0} % of the pixel values (mean over seeds): the model's output does not react to the probe step, so FGSM overstates its robustness.")));
            if (m.TransferPredictions is not null && m.Count > 0)
            {
                int missed = Enumerable.Range(0, m.Count).Count(i => !r.Seeds[i].Flipped && m.TransferFlipped(i) == true);
                if (missed >= Math.Max(1, (int)Math.Ceiling(0.05 * m.Count)))
                    w.Add(new MaskingWarning(MaskingKind.AttackWeakerThanTransfer, r.Attack, string.Create(inv,
                        $"{name}: the {r.Attack} attack fails at ε on {missed} of {m.Count} seeds where the original's adversarial images flip the model; the transfer evidence is used.")));
            }
        }
        return w;
    }

    /// <summary>
    /// The mean over output classes and probed seeds of the share of distinct values the model outputs on
    /// <see cref="ProbeSamples"/> random vertex images of the ε ball (±255ε per value, clipped to [0, 255]) plus the
    /// clean image, for the first <see cref="ProbeSeeds"/> images: about 1 for a float model, low for quantized outputs.
    /// </summary>
    public static double DistinctOutputs(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, double epsilon, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        var probe = inputs.Take(ProbeSeeds).ToList();
        if (probe.Count == 0) return 1;
        float e = (float)(255 * epsilon);
        var images = new List<float[]>(probe.Count * (ProbeSamples + 1));
        foreach (var x in probe)
        {
            images.Add(x.Pixels);
            var rng = Rng.For(seed, x.Id, 0x9e0be);
            for (int k = 0; k < ProbeSamples; k++)
            {
                var v = new float[x.Pixels.Length];
                for (int i = 0; i < v.Length; i++) v[i] = Math.Clamp(x.Pixels[i] + ((rng.NextUInt64() & 1) == 0 ? -e : e), 0f, 255f);
                images.Add(v);
            }
        }
        var rows = model.PredictScores(images);
        int per = ProbeSamples + 1;
        double sum = 0;
        int terms = 0;
        for (int s = 0; s < probe.Count; s++)
            for (int c = 0; c < model.Classes; c++)
            {
                var set = new HashSet<float>();
                for (int k = 0; k < per; k++) set.Add(rows[s * per + k][c]);
                sum += (double)set.Count / per;
                terms++;
            }
        return sum / terms;
    }
}
