using Dflare.Quanos.Robustness;
using Dflare.Quanos.Sensitivity;

namespace Dflare.Xunit;

/// <summary>
/// The outcome of a <see cref="QuanosRobustnessAttribute"/> case, passed to a test method that takes it
/// (see <c>outcome.Should().HaveMedianFlipEpsilonOfAtLeast(…)</c>).
/// </summary>
public sealed class RobustnessOutcome
{
    internal RobustnessOutcome(string model, string? original, ModelRobustness evidence, ModelRobustness? originalEvidence, double minEpsilon, bool passed, string message, AnsReport? sensitivity)
    {
        Model = model; Original = original; Evidence = evidence; OriginalEvidence = originalEvidence; MinEpsilon = minEpsilon; Passed = passed; Message = message; Sensitivity = sensitivity;
    }

    /// <summary>All the evidence on the model: every attack's report, the transfer of the original's images (when compared) and masking warnings.</summary>
    public ModelRobustness Evidence { get; }
    /// <summary>The original's evidence, when compared.</summary>
    public ModelRobustness? OriginalEvidence { get; }
    /// <summary>Signs of gradient masking on the model or its original (empty when there are none); they are also in <see cref="Message"/>.</summary>
    public IReadOnlyList<MaskingWarning> Warnings => [.. Evidence.Warnings, .. OriginalEvidence?.Warnings ?? []];
    /// <summary>Accuracy at ε under every attack (and the transfer) at once: the model is at most this robust (null without labels).</summary>
    public double? AdversarialAccuracy => Evidence.AdversarialAccuracy;

    /// <summary>
    /// Per weighted layer: the adversarial noise sensitivity ANS (relative change of the layer's output between the seeds
    /// and their adversarial images at the attribute's ε) and the bit-width the QUANOS rule gives it; null when the model
    /// has no weighted layers.
    /// </summary>
    public AnsReport? Sensitivity { get; }

    /// <summary>Path of the model under test.</summary>
    public string Model { get; }
    /// <summary>Path of its original, when compared.</summary>
    public string? Original { get; }
    /// <summary>The first attack's figures per seed and overall (see <see cref="Evidence"/> for all of them).</summary>
    public RobustnessReport Report => Evidence.Attacks[0];
    /// <summary>The original's first-attack figures on the same seeds, when compared.</summary>
    public RobustnessReport? OriginalReport => OriginalEvidence?.Attacks[0];
    /// <summary>The threshold of the attribute.</summary>
    public double MinEpsilon { get; }
    /// <summary>Median over the seeds of the smallest flipping ε, worst case over the evidence (+∞ when most seeds never flip within the scan).</summary>
    public double MedianFlipEpsilon => Evidence.MedianFlipEpsilon ?? double.PositiveInfinity;
    /// <summary>The original's median flipping ε, when compared.</summary>
    public double? OriginalMedianFlipEpsilon => OriginalEvidence is null ? null : OriginalEvidence.MedianFlipEpsilon ?? double.PositiveInfinity;
    /// <summary>True when the framework's own check passed (it has already failed the test otherwise).</summary>
    public bool Passed { get; }
    /// <summary>A plain-words summary.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => Message;
}
