using System.Globalization;
using Dflare.Onnx;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Robustness;

namespace Dflare.Quanos.Sensitivity;

/// <summary>Settings of a QUANOS analysis (<see cref="QuanosAnalysis.Run"/>). Every ε is in [0,1] pixel units.</summary>
public sealed record QuanosOptions
{
    /// <summary>The default budget: 8/255 (eight grey levels), the usual CIFAR-10 budget; MNIST studies often use 0.1.</summary>
    public const double DefaultEpsilon = 8.0 / 255.0;

    /// <summary>The FGSM budget ε for x_adv (and for the adversarial accuracies), 0 &lt; ε &lt; 1; default 8/255.</summary>
    public double Epsilon { get; init; } = DefaultEpsilon;
    /// <summary>The gradient estimator of the attack (default: central finite differences, h = 1 grey level).</summary>
    public IGradientEstimator? Gradient { get; init; }
    /// <summary>k_init of the rule k_l = k_init − round(k_init · ANS_l), 2..16 (default 16).</summary>
    public int KInit { get; init; } = BitAllocation.DefaultKInit;
    /// <summary>
    /// Accuracy-constrained variant: the largest share of seeds on which the hybrid's clean top-1 class may differ
    /// from the float model's, in [0, 1) (default 0.01).
    /// </summary>
    public double Tolerance { get; init; } = 0.01;
    /// <summary>Margin of k_init · ANS to a rounding boundary below which a layer's bits are called fragile (default 0.05).</summary>
    public double FragileMargin { get; init; } = BitAllocation.DefaultFragileMargin;
    /// <summary>
    /// Also attack the hybrid and uniform models (their own gradients, as for the float model) to report their
    /// adversarial accuracy and flipping ε; the most expensive part (one gradient per seed per model). Default true.
    /// Without it those models get clean figures, sizes and transfer figures only.
    /// </summary>
    public bool Compare { get; init; } = true;
    /// <summary>Points of the flip-ε scan (default 20).</summary>
    public int Grid { get; init; } = 20;
    /// <summary>End of the flip-ε scan (default max(ε, min(4ε, 0.5))).</summary>
    public double? MaxEpsilon { get; init; }
    /// <summary>Extra points scanned between the last non-flipping and the first flipping grid point (default 0).</summary>
    public int Refine { get; init; }

    /// <summary>The estimator used: <see cref="Gradient"/> or finite differences.</summary>
    public IGradientEstimator EffectiveGradient => Gradient ?? new FiniteDifferenceGradient();

    /// <summary>The robustness settings used for every model.</summary>
    public RobustnessOptions Robustness => new() { Epsilon = Epsilon, Grid = Grid, MaxEpsilon = MaxEpsilon, Refine = Refine };

    /// <summary>Checks the settings (ε first, with the same message as the attacks).</summary>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public void Validate()
    {
        FgsmOptions.ValidateEpsilon(Epsilon);
        Robustness.Validate();
        BitAllocation.ValidateKInit(KInit);
        BitAllocation.ValidateTolerance(Tolerance);
        BitAllocation.ValidateFragileMargin(FragileMargin);
    }
}

/// <summary>Which model of the comparison a <see cref="PrecisionVariant"/> is.</summary>
public enum PrecisionKind
{
    /// <summary>The float original.</summary>
    Float,
    /// <summary>The hybrid from the pure ANS rule.</summary>
    AnsHybrid,
    /// <summary>The hybrid from the accuracy-constrained allocation.</summary>
    ConstrainedHybrid,
    /// <summary>Every layer at 8 bits.</summary>
    Uniform8,
    /// <summary>Every layer at round(k̄) bits, k̄ the ANS hybrid's weight-weighted mean bits.</summary>
    UniformAnsMean,
    /// <summary>Every layer at round(k̄) bits, k̄ the constrained hybrid's weight-weighted mean bits.</summary>
    UniformConstrainedMean,
}

/// <summary>One model of the comparison: its bits, effective size, clean and adversarial figures.</summary>
public sealed record PrecisionVariant
{
    /// <summary>Which model this is.</summary>
    public required PrecisionKind Kind { get; init; }
    /// <summary>A short label, e.g. <c>uniform 6-bit</c>.</summary>
    public required string Label { get; init; }
    /// <summary>Bits per layer (null for the float model).</summary>
    public IReadOnlyDictionary<string, int>? Bits { get; init; }
    /// <summary>The single width of a uniform model.</summary>
    public int? UniformBits { get; init; }
    /// <summary>Mean bits over layers (float counts 32).</summary>
    public required double MeanBits { get; init; }
    /// <summary>Mean bits per weight (layers weighted by weight count).</summary>
    public required double WeightedMeanBits { get; init; }
    /// <summary>Effective weight storage (<see cref="WeightSize"/>).</summary>
    public required WeightSize Size { get; init; }
    /// <summary><see cref="Size"/> over the float model's.</summary>
    public required double SizeVsFloat { get; init; }
    /// <summary><see cref="Size"/> over the uniform 8-bit model's.</summary>
    public required double SizeVsUniform8 { get; init; }
    /// <summary>Top-1 accuracy on the clean labelled seeds (null without labels).</summary>
    public double? CleanAccuracy { get; init; }
    /// <summary>Seeds whose clean top-1 class differs from the float model's.</summary>
    public required int Disagreements { get; init; }
    /// <summary>Share of seeds whose clean top-1 class matches the float model's.</summary>
    public required double Agreement { get; init; }
    /// <summary>Mean relative L2 error of the clean output rows against the float model's.</summary>
    public required double RelativeOutputError { get; init; }
    /// <summary>The model attacked with its own estimated gradient at ε (null when not compared).</summary>
    public RobustnessReport? Robustness { get; init; }
    /// <summary>Accuracy on the float model's adversarial images at ε (transfer; null without labels).</summary>
    public double? TransferAccuracy { get; init; }
    /// <summary>Share of seeds whose class on the float model's adversarial image differs from its own clean class.</summary>
    public required double TransferFlipRate { get; init; }
    /// <summary>The model (the float original for <see cref="PrecisionKind.Float"/>).</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>Accuracy on its own adversarial images at ε (null when not compared or without labels).</summary>
    public double? AdversarialAccuracy => Robustness?.AdversarialAccuracy;
    /// <summary>Share of seeds whose class changes at ε under its own attack (null when not compared).</summary>
    public double? FlipRate => Robustness?.FlipRate;
    /// <summary>Median smallest flipping ε under its own attack (null when not compared or when half the seeds never flip).</summary>
    public double? MedianFlipEpsilon => Robustness?.MedianFlipEpsilon;
}

/// <summary>
/// The QUANOS claim on one pair: the hybrid against the uniform model at its (rounded) mean bit width, on the same seeds.
/// <see cref="Held"/>: the hybrid's adversarial accuracy is higher, significantly so by an exact two-sided McNemar test
/// on the paired per-seed adversarial correctness (p &lt; <see cref="Alpha"/>), and its clean accuracy is not lower
/// by more than the tolerance.
/// </summary>
public sealed record QuanosClaim
{
    /// <summary>The significance level of <see cref="Held"/>.</summary>
    public const double Alpha = 0.05;

    /// <summary>The hybrid.</summary>
    public required PrecisionKind Hybrid { get; init; }
    /// <summary>The uniform model it is compared with.</summary>
    public required PrecisionKind Uniform { get; init; }
    /// <summary>The uniform width (round of the hybrid's weight-weighted mean bits).</summary>
    public required int UniformBits { get; init; }
    /// <summary>Hybrid minus uniform adversarial accuracy (null when not compared or without labels).</summary>
    public double? AdversarialAccuracyDelta { get; init; }
    /// <summary>Hybrid minus uniform clean accuracy (null without labels).</summary>
    public double? CleanAccuracyDelta { get; init; }
    /// <summary>Labelled seeds the hybrid gets right after its attack and the uniform model gets wrong after its own (null when not compared).</summary>
    public int? HybridOnlyCorrect { get; init; }
    /// <summary>Labelled seeds the uniform model gets right after its attack and the hybrid gets wrong (null when not compared).</summary>
    public int? UniformOnlyCorrect { get; init; }
    /// <summary>Exact two-sided McNemar p-value of the adversarial-accuracy difference (null when not compared).</summary>
    public double? PValue { get; init; }
    /// <summary>Hybrid size over uniform size (rounding k̄ makes them differ).</summary>
    public required double SizeRatio { get; init; }
    /// <summary>Whether the claim held on these seeds (null when it cannot be told: not compared or no labels).</summary>
    public bool? Held { get; init; }

    /// <summary>
    /// Exact two-sided McNemar test: <c>min(1, 2 · P(X ≤ min(b, c)))</c> with X ~ Binomial(b + c, ½); 1 when b + c = 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public static double McNemar(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        int n = b + c, k = Math.Min(b, c);
        if (n == 0) return 1;
        // Σ_{i ≤ k} C(n, i) / 2^n in log space (no underflow for large n).
        double logTerm = -n * Math.Log(2), sum = 0;
        for (int i = 0; i <= k; i++)
        {
            sum += Math.Exp(logTerm);
            logTerm += Math.Log(n - i) - Math.Log(i + 1);
        }
        return Math.Min(1, 2 * sum);
    }
}

/// <summary>Progress of a QUANOS analysis.</summary>
/// <param name="Stage">What is running, e.g. <c>attacking float model</c>.</param>
/// <param name="Done">Units done in this stage.</param>
/// <param name="Total">Units in this stage.</param>
public readonly record struct QuanosProgress(string Stage, int Done, int Total);

/// <summary>The outcome of <see cref="QuanosAnalysis.Run"/>.</summary>
public sealed record QuanosReport
{
    /// <summary>The model path.</summary>
    public required string Model { get; init; }
    /// <summary>The settings.</summary>
    public required QuanosOptions Options { get; init; }
    /// <summary>The gradient estimator's short name (<c>fd</c>, <c>spsa</c>).</summary>
    public required string Estimator { get; init; }
    /// <summary>The gradient estimator's description with its settings.</summary>
    public required string EstimatorDescription { get; init; }
    /// <summary>Model queries per gradient estimate.</summary>
    public required int QueriesPerGradient { get; init; }
    /// <summary>Seeds measured.</summary>
    public required int Seeds { get; init; }
    /// <summary>Seeds with a label.</summary>
    public required int Labelled { get; init; }
    /// <summary>The ANS table with the pure rule's bits.</summary>
    public required AnsReport Ans { get; init; }
    /// <summary>The accuracy-constrained allocation (null when no hybrid can be built).</summary>
    public ConstrainedAllocation? Constrained { get; init; }
    /// <summary>Why no hybrid was built (a layer with non-float weights), or null.</summary>
    public string? HybridUnavailable { get; init; }
    /// <summary>The float model and, when a hybrid can be built, the hybrids and uniform models (distinct kinds; a uniform model equal to another by bits is still listed under its own kind).</summary>
    public required IReadOnlyList<PrecisionVariant> Variants { get; init; }
    /// <summary>Hybrid-vs-uniform claims (empty when no hybrid was built).</summary>
    public required IReadOnlyList<QuanosClaim> Claims { get; init; }
    /// <summary>Bytes of the model file.</summary>
    public required long FloatFileBytes { get; init; }
    /// <summary>Bytes of the weight-only int8 file (<c>dflare compress --method int8</c>) of the model, when it can be made.</summary>
    public long? Int8FileBytes { get; init; }
    /// <summary>Bytes of the fake-quantized hybrid file (float-sized: the weights stay float).</summary>
    public long? HybridFileBytes { get; init; }
    /// <summary>Wall time in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>The weighted layers with ANS, pure bits, clamping, margin, fragility.</summary>
    public IReadOnlyList<LayerSensitivity> Layers => Ans.Layers;
    /// <summary>The pure rule's bits.</summary>
    public IReadOnlyDictionary<string, int> Bits => Ans.Bits;
    /// <summary>The constrained bits (null when no hybrid can be built).</summary>
    public IReadOnlyDictionary<string, int>? ConstrainedBits => Constrained?.Bits;
    /// <summary>The variant of one kind, or null.</summary>
    public PrecisionVariant? Variant(PrecisionKind kind) => Variants.FirstOrDefault(v => v.Kind == kind);
    /// <summary>The float model's figures.</summary>
    public PrecisionVariant Float => Variant(PrecisionKind.Float)!;
    /// <summary>Clean accuracy of the float model (null without labels).</summary>
    public double? CleanAccuracy => Float.CleanAccuracy;
    /// <summary>Adversarial accuracy of the float model at ε (null without labels).</summary>
    public double? AdversarialAccuracy => Float.AdversarialAccuracy;
    /// <summary>Median flipping ε of the float model (null when half the seeds never flip in the scan).</summary>
    public double? MedianFlipEpsilon => Float.MedianFlipEpsilon;
}
