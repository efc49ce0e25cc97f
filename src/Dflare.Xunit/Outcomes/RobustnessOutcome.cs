using Dflare.Quanos.Robustness;
using Dflare.Quanos.Sensitivity;

namespace Dflare.Xunit;

/// <summary>
/// The outcome of a <see cref="QuanosRobustnessAttribute"/> case, passed to a test method that takes it
/// (see <c>outcome.Should().HaveMedianFlipEpsilonOfAtLeast(…)</c>).
/// </summary>
public sealed class RobustnessOutcome
{
    internal RobustnessOutcome(string model, string? original, RobustnessReport report, RobustnessReport? originalReport, double minEpsilon, bool passed, string message, AnsReport? sensitivity)
    {
        Model = model; Original = original; Report = report; OriginalReport = originalReport; MinEpsilon = minEpsilon; Passed = passed; Message = message; Sensitivity = sensitivity;
    }

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
    /// <summary>The model's robustness figures per seed and overall.</summary>
    public RobustnessReport Report { get; }
    /// <summary>The original's figures on the same seeds, when compared.</summary>
    public RobustnessReport? OriginalReport { get; }
    /// <summary>The threshold of the attribute.</summary>
    public double MinEpsilon { get; }
    /// <summary>Median over the seeds of the smallest flipping ε (+∞ when most seeds never flip within the scan).</summary>
    public double MedianFlipEpsilon => Report.MedianFlipEpsilon ?? double.PositiveInfinity;
    /// <summary>The original's median flipping ε, when compared.</summary>
    public double? OriginalMedianFlipEpsilon => OriginalReport is null ? null : OriginalReport.MedianFlipEpsilon ?? double.PositiveInfinity;
    /// <summary>True when the framework's own check passed (it has already failed the test otherwise).</summary>
    public bool Passed { get; }
    /// <summary>A plain-words summary.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => Message;
}
