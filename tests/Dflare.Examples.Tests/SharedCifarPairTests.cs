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
    /// Seed 178 is one of the seven test images on which the int8 model already disagrees with the float one. The
    /// deviation was reviewed and accepted: its snapshot is in Snapshots/, so this case passes while it stays the same.
    /// </summary>
    [DeviationSearch(Original, Compressed, 200, Seeds = Seeds, Offset = 178, Limit = 1, Mean = Mean, Std = Std, SkipWhenFilesMissing = true)]
    public void Known_int8_deviation_on_seed_178_stays_accepted() { }

    /// <summary>A tiny budget on two seeds where the pair agrees: the search spends it and finds nothing.</summary>
    [DeviationSearch(Original, Compressed, 20, Seeds = Seeds, Limit = 2, Mean = Mean, Std = Std, SkipWhenFilesMissing = true)]
    public void Int8_model_agrees_on_the_first_seeds_within_a_tiny_budget(DeviationOutcome outcome)
    {
        outcome.Should().HaveNoDeviations();
        outcome.Should().HaveSpentAtMostQueries(20);
    }
}
