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
    /// The int8 copy is known to deviate near most seeds. A team adopting the gate can tolerate a number of
    /// unaccepted deviations while it reviews them: the received snapshots are still written for review, and the
    /// outcome tells the test what was found.
    /// </summary>
    [DeviationSearch(Original, Compressed, 600, Seeds = Seeds, Limit = 3, AllowedDeviations = 3, Granularity = CaseGranularity.PerPair)]
    public void Int8_copy_deviations_are_found_and_within_the_allowance(DeviationOutcome outcome)
    {
        outcome.Deviations.Should().NotBeEmpty("the int8 demo copy is known to deviate near these seeds");
        foreach (var d in outcome.Deviations)
        {
            d.Finding.OriginalLabel.Should().NotBe(d.Finding.CompressedLabel);
            d.Queries.Should().BeLessThanOrEqualTo(600);
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
