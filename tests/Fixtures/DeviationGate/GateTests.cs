using Dflare.Xunit;
using Xunit;

namespace DeviationGate;

public class GateTests
{
    // The demo original and a 50 %-pruned copy made by `dflare compress`: it deviates confidently near both seeds.
    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 400, Seeds = "seeds", Limit = 2, MaxLInf = 32, Granularity = CaseGranularity.PerSeed)]
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

    // Bad inputs (made by the integration test): each case fails with one message naming the file or setting and the
    // problem, and the report lists it as an error, never as passed.
    [DeviationSearch("models/original.onnx", "models/truncated.onnx", 100, Seeds = "seeds", Limit = 1)]
    public void Bad_truncated_model() { }

    [DeviationSearch("models/readme.onnx", "models/compressed.onnx", 100, Seeds = "seeds", Limit = 1)]
    public void Bad_text_file_as_model() { }

    [DeviationSearch("models/original.onnx", "models/nan-weights.onnx", 100, Seeds = "seeds", Limit = 1)]
    public void Bad_model_with_nan_outputs() { }

    [DeviationSearch("models/image-output.onnx", "models/compressed.onnx", 100, Seeds = "seeds", Limit = 1)]
    public void Bad_model_without_a_class_output() { }

    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 100, Seeds = "no-such-seeds", Limit = 1)]
    public void Bad_missing_seeds() { }

    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 100, Seeds = "bad-seeds/truncated", Limit = 1)]
    public void Bad_truncated_seed_picture() { }

    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 100, Seeds = "bad-seeds/large", Limit = 1)]
    public void Bad_seed_picture_of_the_wrong_size() { }

    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 100, Seeds = "bad-seeds/bad-magic-idx3-ubyte", Limit = 1)]
    public void Bad_idx_magic() { }

    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 100, Seeds = "seeds", Limit = 1, Layout = "chw")]
    public void Bad_layout_setting() { }

    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 100, Seeds = "seeds", Offset = 5)]
    public void Bad_offset_past_the_seeds() { }

    // Its accepted snapshot (Snapshots/GateTests.Bad_damaged_verified_snapshot.seed=fmnist-test-00004.verified.json) is damaged.
    [DeviationSearch("models/original.onnx", "models/compressed.onnx", 100, Seeds = "seeds", Limit = 1)]
    public void Bad_damaged_verified_snapshot() { }

    [QuanosRobustness(0.01, Model = "models/truncated.onnx", Seeds = "seeds", Limit = 1, Epsilon = 0.05, MaxEpsilon = 0.3)]
    public void Bad_robustness_of_a_truncated_model() { }

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

/// <summary>What the explicit case's class fixture holds (xunit.v3 makes one per class).</summary>
public sealed class PairLabel
{
    public string Name { get; } = "identical pair";
}

// An explicit case runs only when asked (`--explicit on|only`), and then like any test of its class: with its class
// fixture in the constructor. A case with SkipUnless runs its check when the condition holds.
public class ExplicitAndConditionalTests(PairLabel label) : IClassFixture<PairLabel>
{
    public static bool DataIsThere => true;

    [DeviationSearch("models/original.onnx", "models/original-again.onnx", 40, Seeds = "seeds", Limit = 2, Explicit = true)]
    public void Explicit_case_keeps_its_class_fixture(DeviationOutcome outcome)
    {
        Assert.Equal("identical pair", label.Name);
        Assert.Equal(2, outcome.Seeds.Count);
        outcome.Should().HaveNoDeviations();
    }

    [DeviationSearch("models/original.onnx", "models/original-again.onnx", 40, Seeds = "seeds", Limit = 2, Skip = "only with the data", SkipUnless = nameof(DataIsThere))]
    public void Conditionally_skipped_case_runs_its_check(DeviationOutcome outcome)
    {
        Assert.NotNull(outcome);
        Assert.Equal(2, outcome.Seeds.Count);
    }
}
