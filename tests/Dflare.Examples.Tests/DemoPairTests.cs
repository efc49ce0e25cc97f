namespace Dflare.Examples;

/// <summary>
/// The project's own demo pair: a Fashion-MNIST CNN and its weight-only int8 copy made by <c>dflare compress</c>
/// (src/Dflare.Cli/Demo). Paths are relative to this test project.
/// </summary>
public class DemoPairTests
{
    private const string Original = "../../src/Dflare.Cli/Demo/fashion-lenet.onnx";
    private const string Compressed = "../../src/Dflare.Cli/Demo/fashion-lenet.int8.onnx";
    private const string Seeds = "../../src/Dflare.Cli/Demo/seeds";

    /// <summary>
    /// With the gate's defaults (both margins ≥ 0.1, within 32 grey levels) the weight-only int8 copy has no
    /// meaningful deviation near these seeds: it passes, and the outcome reports the rate and the accuracy.
    /// </summary>
    [DeviationSearch(Original, Compressed, 600, Seeds = Seeds, Limit = 3)]
    public void Int8_copy_has_no_confident_bounded_deviation(DeviationOutcome outcome)
    {
        outcome.Counts.Clean.Should().Be(3);
        outcome.Message.Should().Contain("0 of 3 seeds deviate").And.Contain("margin ≥ 0.1, L∞ ≤ 16");
    }

    /// <summary>
    /// Boundary (near-tie) deviations exist for almost every seed: asked for any label change, unbounded, the search
    /// finds them; a team can tolerate a number of them while it reviews the received snapshots.
    /// </summary>
    [DeviationSearch(Original, Compressed, 600, Seeds = Seeds, Limit = 3, MinMargin = 0, MaxLInf = 0, AllowedDeviations = 3)]
    public void Int8_copy_boundary_deviations_are_found_and_within_the_allowance(DeviationOutcome outcome)
    {
        outcome.Deviations.Should().NotBeEmpty("the int8 demo copy deviates at the decision boundary near these seeds");
        foreach (var d in outcome.Deviations)
        {
            d.Finding.OriginalLabel.Should().NotBe(d.Finding.CompressedLabel);
            d.Queries.Should().BeLessThanOrEqualTo(602);
        }
    }

    /// <summary>
    /// Int8 weights must not make the classifier markedly easier to fool: over 8 seeds the int8 copy's median
    /// flipping ε must be at least 0.03 (about 8 grey levels) and within 0.02 of the float original's.
    /// </summary>
    [QuanosRobustness(0.03, Model = Compressed, Original = Original, Seeds = Seeds, Limit = 8, Tolerance = 0.02, Epsilon = 0.05, MaxEpsilon = 0.3)]
    public void Int8_copy_is_about_as_robust_as_the_original(RobustnessOutcome outcome)
    {
        outcome.MedianFlipEpsilon.Should().BeLessThan(0.3, "the scan reaches a flip for most seeds");
        outcome.OriginalMedianFlipEpsilon.Should().NotBeNull();
        outcome.Report.Count.Should().Be(8);
        // The per-layer sensitivity table is always recorded: 2 Conv + 3 Gemm in the LeNet-5 style model.
        outcome.Sensitivity!.Layers.Should().HaveCount(5);
        outcome.Sensitivity.Layers.Should().OnlyContain(l => l.Ans >= 0 && double.IsFinite(l.Ans) && l.Bits >= 2 && l.Bits <= 16);
        outcome.Message.Should().Contain("Per-layer sensitivity (ANS)");
    }
}
