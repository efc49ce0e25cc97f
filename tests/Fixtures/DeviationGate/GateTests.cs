using Dflare.Xunit;
using Xunit;

namespace DeviationGate;

public class GateTests
{
    // The demo original and a 50 %-pruned copy made by `dflare compress`: it deviates confidently near both seeds.
    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 400, Seeds = "seeds", Limit = 2, Granularity = CaseGranularity.PerSeed)]
    public void Pruned_copy_matches_the_original() { }

    // The same model twice: nothing can deviate, so this passes with no snapshot (one case for the pair, the default).
    [DeviationSearch("models/original.onnx", "models/original-again.onnx", 40, Seeds = "seeds", Limit = 2)]
    public void Identical_models_never_deviate(DeviationOutcome outcome) =>
        outcome.Should().HaveNoDeviations();

    [DeviationSearch("models/missing.onnx", "models/compressed.onnx", 100, Seeds = "seeds", Limit = 1)]
    public void Missing_model() { }

    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 0, Seeds = "seeds", Limit = 1)]
    public void Zero_budget() { }

    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 100, Seeds = "seeds", Limit = 1, Strategy = "annealing")]
    public void Unknown_strategy() { }

    [DeviationSearch("models/original.onnx", "models/other-geometry.onnx", 100, Seeds = "seeds", Limit = 1)]
    public void Mismatched_pair() { }

    // Robustness: the demo int8 copy flips at a median ε of about 0.05 on these seeds.
    [QuanosRobustness(0.25, Model = "models/int8.onnx", Seeds = "seeds", Limit = 2, Epsilon = 0.05, MaxEpsilon = 0.3)]
    public void Demanding_robustness_floor() { }

    [QuanosRobustness(0.01, Model = "models/int8.onnx", Original = "models/original.onnx", Tolerance = 0.05, Seeds = "seeds", Limit = 2, Epsilon = 0.05, MaxEpsilon = 0.3)]
    public void Modest_robustness_floor(RobustnessOutcome outcome) =>
        outcome.Should().HaveMedianFlipEpsilonOfAtLeast(0.01);

    // The template's robustness example on a budget where the int8 copy has no adversarial accuracy left (ε = 0.3,
    // 76 grey levels): the flip-rate assertion must fail it.
    [QuanosRobustness(0.01, Model = "models/compressed.onnx", Original = "models/original.onnx", Tolerance = 0.02, Seeds = "seeds", Limit = 2, Epsilon = 0.3, MaxEpsilon = 0.3)]
    public void Template_robustness_example_at_a_hopeless_epsilon(RobustnessOutcome outcome) =>
        outcome.Should().FlipAtEpsilonAtMost(0.5);
}
