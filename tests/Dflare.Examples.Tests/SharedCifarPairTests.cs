namespace Dflare.Examples;

/// <summary>
/// The real CIFAR-10 compression pair from ../shared: ResNet-8 and its Intel Neural Compressor int8 copy.
/// Paths are relative to the test project (the shared folder sits beside the repository); with
/// <c>SkipWhenFilesMissing</c> the cases are skipped, naming the missing path, when that folder is absent.
/// </summary>
public class SharedCifarPairTests
{
    private const string Original = "../../../shared/models/cifar10/resnet8.onnx";
    private const string Compressed = "../../../shared/models/cifar10/resnet8-int8.onnx";
    private const string Seeds = "../../../shared/data/cifar10/test_first932.bin";
    private const string Mean = "0.485,0.456,0.406";
    private const string Std = "0.229,0.224,0.225";

    /// <summary>
    /// Seed 178 is one of the seven test images on which the int8 model already disagrees with the float one: the
    /// original says dog (0.48, margin 0.02 over cat), the int8 copy cat. A near-tie, so the default margin of 0.1 would
    /// not count it; this test asks for any label change (MinMargin = 0, unbounded). The deviation was reviewed and
    /// accepted: its snapshot in Snapshots/ is replayed first, so this case passes (known) without a search while the
    /// models still disagree there with the same labels.
    /// </summary>
    [DeviationSearch(Original, Compressed, 200, Seeds = Seeds, Offset = 178, Limit = 1, Mean = Mean, Std = Std, MinMargin = 0, MaxLInf = 0, SkipWhenFilesMissing = true)]
    public void Known_int8_deviation_on_seed_178_stays_accepted(DeviationOutcome outcome)
    {
        outcome.Seeds.Should().ContainSingle().Which.State.Should().Be(Dflare.Check.SeedState.Known);
        outcome.TotalQueries.Should().Be(4, "the seed and the accepted input are evaluated on both models; nothing is searched");
    }

    /// <summary>
    /// A tiny budget on two seeds where the pair agrees: DFlare's mutation search spends it and finds nothing. (The gate's
    /// default square search finds a confident deviation of this int8 model on seed 1 within these 20 queries: a real
    /// finding about the model, see docs/gate.md; this case pins DFlare to check that a spent budget passes.)
    /// </summary>
    [DeviationSearch(Original, Compressed, 20, Seeds = Seeds, Limit = 2, Mean = Mean, Std = Std, Strategy = "dflare", SkipWhenFilesMissing = true)]
    public void Int8_model_agrees_on_the_first_seeds_within_a_tiny_budget(DeviationOutcome outcome)
    {
        outcome.Should().HaveNoDeviations();
        outcome.Should().HaveSpentAtMostQueries(40, "the budget is 20 queries per seed, two seeds in one case");
    }
}
