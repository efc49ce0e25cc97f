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

#if DFLARE_QUANOS
    /// <summary>
    /// QUANOS: how sensitive is the compressed model to adversarial noise, layer by layer? Define DFLARE_QUANOS
    /// (&lt;DefineConstants&gt;$(DefineConstants);DFLARE_QUANOS&lt;/DefineConstants&gt;) once your Dflare.Testing has [QuanosRobustness].
    /// </summary>
    [QuanosRobustness("COMPRESSED_MODEL_PATH", Original = "ORIGINAL_MODEL_PATH", Seeds = "SEEDS_PATH", Epsilon = 0.03)]
    public void Compressed_model_stays_robust_to_small_adversarial_noise() { }
#endif
}
