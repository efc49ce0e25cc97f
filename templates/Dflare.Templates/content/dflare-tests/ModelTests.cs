using Dflare.Xunit;

namespace DflareTests;

// The DflareModelPair item in DflareTests.csproj already makes the deviation tests of the pair, with no C#. The
// examples below are compiled only when you define their symbols in DflareTests.csproj
// (<DefineConstants>$(DefineConstants);DFLARE_EXAMPLES;DFLARE_QUANOS</DefineConstants>). Model paths are the copies the
// DflareModelPair item puts in the test output folder, each with its preprocessing sidecar (MODEL.onnx.json; a model from
// outside the project goes to dflare-models/); the seeds path is relative to this file. Without the item, point the
// attributes at the models themselves and give their preprocessing (a sidecar beside each model, or the attribute's
// Scale, Mean, Std, Layout, Resize and Crop): a model without it is fed pixel/255.
public class ModelTests
{
//-:cnd:noEmit
#if DFLARE_EXAMPLES
    /// <summary>
    /// Your own settings and checks: searches 20 seeds sampled across the classes for inputs on which the compressed
    /// model's top-1 label differs from the original's, and bounds the queries spent.
    /// </summary>
    [DeviationSearch("ORIGINAL_OUTPUT_PATH", "COMPRESSED_OUTPUT_PATH", BUDGET_VALUE, Seeds = "SEEDS_PATH", Sample = 20, RunSeed = 1)]
    public void Compressed_model_predicts_like_the_original_on_a_sample(DeviationOutcome outcome)
    {
        // The framework has already failed the test on an unaccepted deviation; add your own checks here.
        outcome.Should().HaveSpentAtMostQueries(20L * BUDGET_VALUE);
    }
#endif

#if DFLARE_QUANOS
    /// <summary>
    /// QUANOS: the smallest adversarial noise that flips the compressed model's label, per seed, found by the
    /// gradient-free Square Attack (quantized models cannot hide from it) and by the original's adversarial images
    /// (transfer). Fails when the median falls below 0.01 (about 2.5 grey levels) or more than 0.02 below the original's,
    /// and when more than half of the seeds flip at ε = 0.01, so a model with 0 % adversarial accuracy never passes.
    /// </summary>
    [QuanosRobustness(0.01, Model = "COMPRESSED_OUTPUT_PATH", Original = "ORIGINAL_OUTPUT_PATH", Tolerance = 0.02,
        Seeds = "SEEDS_PATH", Limit = 4, Epsilon = 0.01, MaxEpsilon = 0.3)]
    public void Compressed_model_stays_about_as_robust_as_the_original(RobustnessOutcome outcome) =>
        outcome.Should().FlipAtEpsilonAtMost(0.5);
#endif
//+:cnd:noEmit
}
