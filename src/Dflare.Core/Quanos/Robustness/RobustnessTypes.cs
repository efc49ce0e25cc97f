using System.Globalization;
using Dflare.Quanos.Adversarial;

namespace Dflare.Quanos.Robustness;

/// <summary>Settings of a robustness measurement. Every ε is in [0,1] pixel units.</summary>
public sealed record RobustnessOptions
{
    /// <summary>The budget at which adversarial accuracy and flip rate are measured, 0 &lt; ε &lt; 1.</summary>
    public required double Epsilon { get; init; }
    /// <summary>Upper end of the flip-ε scan; default <c>max(ε, min(4ε, 0.5))</c>.</summary>
    public double? MaxEpsilon { get; init; }
    /// <summary>Number of scan points, evenly spaced in (0, <see cref="ScanMax"/>] (default 20).</summary>
    public int Grid { get; init; } = 20;
    /// <summary>Extra points scanned evenly between the last non-flipping grid point and the first flipping one (0 = none).</summary>
    public int Refine { get; init; }
    /// <summary>Attack steps for the adversarial accuracy at ε: 1 is FGSM along the scan direction, more is the iterative variant.</summary>
    public int Steps { get; init; } = 1;
    /// <summary>Step size of the iterative variant (default 2.5·ε/steps).</summary>
    public double? StepSize { get; init; }
    /// <summary>Which class's cross-entropy the attack increases.</summary>
    public AttackLoss Loss { get; init; } = AttackLoss.Prediction;

    /// <summary>The upper end of the scan actually used.</summary>
    public double ScanMax => MaxEpsilon ?? Math.Max(Epsilon, Math.Min(4 * Epsilon, 0.5));

    /// <summary>The scan points <c>k·ScanMax/Grid</c>, k = 1..Grid.</summary>
    public IReadOnlyList<double> ScanGrid => Enumerable.Range(1, Grid).Select(k => k * ScanMax / Grid).ToArray();

    /// <summary>The attack settings for the adversarial accuracy at ε.</summary>
    public FgsmOptions Attack => new() { Epsilon = Epsilon, Steps = Steps, StepSize = StepSize, Loss = Loss };

    /// <summary>Checks the settings.</summary>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public void Validate()
    {
        Attack.Validate();
        if (MaxEpsilon is { } m) FgsmOptions.ValidateEpsilon(m, "max epsilon");
        if (Grid < 1) throw new DflareException($"The ε scan needs at least 1 grid point; got {Grid}.");
        if (Refine < 0) throw new DflareException($"The number of refinement points must not be negative; got {Refine}.");
    }
}

/// <summary>Robustness of one model on one seed.</summary>
public sealed record SeedRobustness
{
    /// <summary>The seed's id.</summary>
    public required string Id { get; init; }
    /// <summary>The true class, when known.</summary>
    public int? Label { get; init; }
    /// <summary>Top-1 class on the clean image.</summary>
    public required int CleanPrediction { get; init; }
    /// <summary>Top-1 class on the adversarial image at ε.</summary>
    public required int AdversarialPrediction { get; init; }
    /// <summary>Loss on the clean image.</summary>
    public required double CleanLoss { get; init; }
    /// <summary>Loss on the adversarial image at ε.</summary>
    public required double AdversarialLoss { get; init; }
    /// <summary>The smallest scan grid ε whose FGSM image changes the top-1 class (null: none up to the scan's end).</summary>
    public double? GridFlipEpsilon { get; init; }
    /// <summary>The smallest flipping ε found: the refined one when refinement is on, else <see cref="GridFlipEpsilon"/>.</summary>
    public double? FlipEpsilon { get; init; }
    /// <summary>Cosine similarity of the gradient estimate to the reference estimator's at the clean image, when a reference was given.</summary>
    public double? CosineToReference { get; init; }
    /// <summary>Among the values where the reference gradient is non-zero, the share where the estimate has its sign (when a reference was given).</summary>
    public double? SignAgreementToReference { get; init; }
    /// <summary>
    /// FGSM only: the share of the values whose estimated gradient at the clean image is exactly 0 (they do not move
    /// in the attack). Most values at 0 means the model's output does not react to the probe step: gradient masking.
    /// </summary>
    public double? ZeroGradientShare { get; init; }
    /// <summary>Images the model evaluated for this seed (the reference estimator's probes excluded).</summary>
    public required long Queries { get; init; }
    /// <summary>The adversarial image at ε (float pixels 0..255, H×W×C at model geometry), whose prediction is <see cref="AdversarialPrediction"/>.</summary>
    public required float[] Adversarial { get; init; }

    /// <summary>True when the top-1 class at ε differs from the clean one.</summary>
    public bool Flipped => AdversarialPrediction != CleanPrediction;
    /// <summary>Whether the clean prediction is right (null without a label).</summary>
    public bool? CleanCorrect => Label is { } l ? CleanPrediction == l : null;
    /// <summary>Whether the adversarial prediction is right (null without a label).</summary>
    public bool? AdversarialCorrect => Label is { } l ? AdversarialPrediction == l : null;
}

/// <summary>Robustness of one model on a set of seeds.</summary>
/// <remarks>All figures are for the float adversarial images (not rounded to 8 bits).</remarks>
public sealed record RobustnessReport
{
    /// <summary>The model's path.</summary>
    public required string Model { get; init; }
    /// <summary>The attack's short name: <c>fd-fgsm</c>, <c>spsa-fgsm</c> or <c>square</c>.</summary>
    public string Attack { get; init; } = "fgsm";
    /// <summary>The attack's description with its settings (for FGSM, the gradient estimator's).</summary>
    public required string Estimator { get; init; }
    /// <summary>The settings.</summary>
    public required RobustnessOptions Options { get; init; }
    /// <summary>Per-seed results, in seed order.</summary>
    public required IReadOnlyList<SeedRobustness> Seeds { get; init; }
    /// <summary>Wall time in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>Number of seeds.</summary>
    public int Count => Seeds.Count;
    /// <summary>Seeds with a label.</summary>
    public int Labelled => Seeds.Count(s => s.Label is not null);
    /// <summary>Top-1 accuracy on the clean labelled seeds (null without labels).</summary>
    public double? CleanAccuracy => Labelled == 0 ? null : (double)Seeds.Count(s => s.CleanCorrect == true) / Labelled;
    /// <summary>Top-1 accuracy on the adversarial images at ε (null without labels).</summary>
    public double? AdversarialAccuracy => Labelled == 0 ? null : (double)Seeds.Count(s => s.AdversarialCorrect == true) / Labelled;
    /// <summary>Seeds whose top-1 class changes at ε.</summary>
    public int Flips => Seeds.Count(s => s.Flipped);
    /// <summary>Share of seeds whose top-1 class changes at ε (0 without seeds).</summary>
    public double FlipRate => Count == 0 ? 0 : (double)Flips / Count;
    /// <summary>Seeds that flip somewhere in the scan.</summary>
    public int FlippedInScan => Seeds.Count(s => s.FlipEpsilon is not null);
    /// <summary>
    /// Median over all seeds of the smallest flipping ε, a seed that never flips in the scan counting as +∞; null when
    /// that median is +∞ (half the seeds or more do not flip up to the scan's end) or there are no seeds.
    /// </summary>
    public double? MedianFlipEpsilon => Median(Seeds.Select(s => s.FlipEpsilon ?? double.PositiveInfinity));
    /// <summary>Mean cosine similarity to the reference estimator (null without a reference).</summary>
    public double? MeanCosineToReference => Seeds.Count > 0 && Seeds.All(s => s.CosineToReference is not null) ? Seeds.Average(s => s.CosineToReference!.Value) : null;
    /// <summary>Images the model evaluated (the reference estimator's probes excluded).</summary>
    public long Queries => Seeds.Sum(s => s.Queries);
    /// <summary>FGSM only: the mean over seeds of <see cref="SeedRobustness.ZeroGradientShare"/> (null for other attacks or without seeds).</summary>
    public double? MeanZeroGradientShare => Seeds.Count > 0 && Seeds.All(s => s.ZeroGradientShare is not null) ? Seeds.Average(s => s.ZeroGradientShare!.Value) : null;

    // The median, or null when there is none or it is infinite (most seeds never flipped within the scan).
    internal static double? Median(IEnumerable<double> values) =>
        Search.SearchRunResult.Median(values) is { } m && double.IsFinite(m) ? m : null;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Model}: flips {Flips}/{Count} at ε={Options.Epsilon:G4}, adversarial accuracy {AdversarialAccuracy:P2}, median flip ε {MedianFlipEpsilon:G4}");
}

/// <summary>The robustness of a compressed model against its original on the same seeds.</summary>
/// <param name="Original">The original model's report.</param>
/// <param name="Compressed">The compressed model's report (same seeds, same order).</param>
/// <param name="TransferPredictions">The compressed model's top-1 class on the original's adversarial image at ε, per seed.</param>
/// <remarks>
/// Each model is attacked with its own estimated gradient. A quantised model can look more robust than it is because
/// its input quantisation makes small-step finite differences noisy (gradient masking); the transfer figures — the
/// original's adversarial images fed to the compressed model — do not depend on the compressed model's gradient.
/// </remarks>
public sealed record RobustnessComparison(RobustnessReport Original, RobustnessReport Compressed, IReadOnlyList<int> TransferPredictions)
{
    /// <summary>Seeds where the compressed model's class on the original's adversarial image differs from its clean class.</summary>
    public int TransferFlips => Compressed.Seeds.Zip(TransferPredictions).Count(p => p.First.CleanPrediction != p.Second);
    /// <summary>Share of seeds with a transfer flip (0 without seeds).</summary>
    public double TransferFlipRate => Compressed.Count == 0 ? 0 : (double)TransferFlips / Compressed.Count;
    /// <summary>The compressed model's accuracy on the original's adversarial images (null without labels).</summary>
    public double? TransferAccuracy => Compressed.Labelled == 0 ? null
        : (double)Compressed.Seeds.Zip(TransferPredictions).Count(p => p.First.Label == p.Second) / Compressed.Labelled;

    /// <summary>Compressed minus original adversarial accuracy at ε (null without labels).</summary>
    public double? AdversarialAccuracyDelta => Compressed.AdversarialAccuracy - Original.AdversarialAccuracy;
    /// <summary>Compressed minus original flip rate at ε.</summary>
    public double FlipRateDelta => Compressed.FlipRate - Original.FlipRate;
    /// <summary>Seeds where the compressed model flips at a smaller ε than the original (a flip beats no flip).</summary>
    public int LessRobust => Pairs.Count(p => p.C < p.O);
    /// <summary>Seeds where the compressed model flips at a larger ε than the original (or not at all when the original does).</summary>
    public int MoreRobust => Pairs.Count(p => p.C > p.O);
    /// <summary>Seeds where both flip at the same ε, or neither flips in the scan.</summary>
    public int EquallyRobust => Pairs.Count(p => p.C == p.O);
    /// <summary>Seeds where exactly one of the two models flips at ε.</summary>
    public int FlipDisagreements => Original.Seeds.Zip(Compressed.Seeds).Count(p => p.First.Flipped != p.Second.Flipped);

    private IEnumerable<(double O, double C)> Pairs => Original.Seeds.Zip(Compressed.Seeds)
        .Select(p => (p.First.FlipEpsilon ?? double.PositiveInfinity, p.Second.FlipEpsilon ?? double.PositiveInfinity));
}
