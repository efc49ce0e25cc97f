using Dflare.Xunit;

namespace DflareTests;

/// <summary>
/// Hand-written model-regression tests. The DflareModelPair item in DflareTests.csproj already makes a deviation test
/// for the pair with no C#; write tests here when you want your own settings or assertions.
/// </summary>
public class ModelTests
{
    /// <summary>
    /// Searches for inputs near the first seeds on which the compressed model's top-1 label differs from the
    /// original's. A deviation fails the test and writes Snapshots/*.received.* files to review; accept them with
    /// `dflare accept` (or `dotnet test -p:DflareAcceptSnapshots=true`) and commit the *.verified.* files.
    /// </summary>
    [DeviationSearch("ORIGINAL_MODEL_PATH", "COMPRESSED_MODEL_PATH", BUDGET_VALUE, Seeds = "SEEDS_PATH", Limit = 2, Granularity = CaseGranularity.PerSeed)]
    public void Compressed_model_predicts_like_the_original_near_the_first_seeds(DeviationOutcome outcome)
    {
        // The framework has already failed the test on an unaccepted deviation; add your own checks here.
        outcome.Should().HaveSpentAtMostQueries(2L * BUDGET_VALUE);
    }

    /// <summary>
    /// QUANOS: the smallest adversarial noise that flips the compressed model's label, per seed, found by the
    /// gradient-free Square Attack (quantized models cannot hide from it) and by the original's adversarial images
    /// (transfer). Fails when the median falls below 0.01 (about 2.5 grey levels) or more than 0.02 below the original's,
    /// and when more than half of the seeds flip at ε = 0.01, so a model with 0 % adversarial accuracy never passes.
    /// </summary>
    [QuanosRobustness(0.01, Model = "COMPRESSED_MODEL_PATH", Original = "ORIGINAL_MODEL_PATH", Tolerance = 0.02,
        Seeds = "SEEDS_PATH", Limit = 4, Epsilon = 0.01, MaxEpsilon = 0.3)]
    public void Compressed_model_stays_about_as_robust_as_the_original(RobustnessOutcome outcome) =>
        outcome.Should().FlipAtEpsilonAtMost(0.5);
}
