using Dflare.Xunit;

namespace DflareTests;

// The DflareModelPair item in DflareTests.csproj already makes the deviation tests of the pair, with no C#. The
// examples below are compiled only when you define their symbols in DflareTests.csproj
// (<DefineConstants>$(DefineConstants);DFLARE_EXAMPLES;DFLARE_QUANOS</DefineConstants>). Paths are relative to this
// file; a model's preprocessing comes from the sidecar beside it (MODEL.onnx.json) or from the attribute's Scale, Mean,
// Std, Layout, Resize and Crop.
public class ModelTests
{
//-:cnd:noEmit
#if DFLARE_EXAMPLES
    /// <summary>
    /// Your own settings and checks: searches 20 seeds sampled across the classes for inputs on which the compressed
    /// model's top-1 label differs from the original's, and bounds the queries spent.
    /// </summary>
    [DeviationSearch("ORIGINAL_MODEL_PATH", "COMPRESSED_MODEL_PATH", BUDGET_VALUE, Seeds = "SEEDS_PATH", Sample = 20, RunSeed = 1)]
    public void Compressed_model_predicts_like_the_original_on_a_sample(DeviationOutcome outcome)
    {
        // The framework has already failed the test on an unaccepted deviation; add your own checks here.
        outcome.Should().HaveSpentAtMostQueries(20L * BUDGET_VALUE);
    }
#endif

#if DFLARE_QUANOS
    /// <summary>
    /// QUANOS (about a minute): the smallest adversarial (FGSM) noise that flips the compressed model's label, per seed.
    /// Fails when the median over the seeds falls below 0.01 (about 2.5 grey levels) or more than 0.02 below the
    /// original's. Quantized models round their input, so the finite-difference step is 8 grey levels.
    /// </summary>
    [QuanosRobustness(0.01, Model = "COMPRESSED_MODEL_PATH", Original = "ORIGINAL_MODEL_PATH", Tolerance = 0.02,
        Seeds = "SEEDS_PATH", Limit = 4, Epsilon = 0.05, MaxEpsilon = 0.3, FiniteDifferenceStep = 8)]
    public void Compressed_model_stays_about_as_robust_as_the_original(RobustnessOutcome outcome) =>
        outcome.Should().HaveMedianFlipEpsilonOfAtLeast(0.01);
#endif
//+:cnd:noEmit
}
