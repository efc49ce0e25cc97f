using Dflare.Onnx;
using Dflare.Quanos.Sensitivity;

namespace Dflare.Tests.Quanos;

/// <summary>The bit-width rule, margins, fragility, the constrained greedy, sizes and the ANS ratio, without models.</summary>
public sealed class AnsRuleTests
{
    [Theory]
    [InlineData(0.0, 16, 16, false)]
    [InlineData(0.25, 16, 12, false)]
    [InlineData(0.03125, 16, 15, false)] // 16·ANS = 0.5 exactly: half away from zero → 1
    [InlineData(0.09375, 16, 14, false)] // 1.5 → 2
    [InlineData(0.8, 16, 3, false)]      // 12.8 → 13
    [InlineData(0.9, 16, 2, false)]      // 14.4 → 14
    [InlineData(0.96, 16, 2, true)]      // 15.36 → 15 → raw 1, clamped
    [InlineData(2.5, 16, 2, true)]       // ANS > 1 is possible: raw −24, clamped
    [InlineData(0.3, 8, 6, false)]       // 2.4 → 2
    public void The_rule_is_k_init_minus_rounded_k_init_times_ans_clamped_to_2_k_init(double ans, int kInit, int bits, bool clamped)
    {
        BitAllocation.Bits(ans, kInit).Should().Be(bits);
        BitAllocation.Clamped(ans, kInit).Should().Be(clamped);
        BitAllocation.RawBits(ans, kInit).Should().Be(kInit - (int)Math.Round(ans * kInit, MidpointRounding.AwayFromZero));
    }

    [Fact]
    public void More_sensitive_layers_never_get_more_bits()
    {
        var ans = Enumerable.Range(0, 400).Select(i => i / 250.0).ToArray();
        var bits = ans.Select(a => BitAllocation.Bits(a, 16)).ToArray();
        for (int i = 1; i < bits.Length; i++) bits[i].Should().BeLessThanOrEqualTo(bits[i - 1]);
        bits[0].Should().Be(16);
        bits[^1].Should().Be(2);
    }

    [Theory]
    [InlineData(7.0 / 16, 0.5)]
    [InlineData(7.48 / 16, 0.02)]
    [InlineData(7.52 / 16, 0.02)]
    [InlineData(7.5 / 16, 0.0)]
    [InlineData(7.25 / 16, 0.25)]
    [InlineData(0.0, 0.5)]
    public void The_margin_is_the_distance_of_16_ans_to_the_nearest_half_integer(double ans, double margin) =>
        BitAllocation.Margin(ans, 16).Should().BeApproximately(margin, 1e-12);

    [Fact]
    public void A_layer_is_fragile_only_when_near_a_boundary_and_the_other_rounding_changes_its_bits()
    {
        BitAllocation.IsFragile(7.48 / 16, 16).Should().BeTrue("7.48 rounds to 7 (9 bits); 7.5 would give 8 bits");
        BitAllocation.IsFragile(7.52 / 16, 16).Should().BeTrue();
        BitAllocation.IsFragile(7.4 / 16, 16).Should().BeFalse("a margin of 0.1 is above the default 0.05");
        BitAllocation.IsFragile(7.4 / 16, 16, threshold: 0.2).Should().BeTrue();
        BitAllocation.IsFragile(15.49 / 16, 16).Should().BeFalse("15 and 16 both clamp to 2 bits");
        BitAllocation.IsFragile(13.51 / 16, 16).Should().BeTrue("14 → 2 bits, 13 → 3 bits");
    }

    [Fact]
    public void Bad_rule_inputs_are_rejected()
    {
        ((Action)(() => BitAllocation.ValidateKInit(1))).Should().Throw<DflareException>().WithMessage("k_init must be an integer from 2 to 16*got 1*");
        ((Action)(() => BitAllocation.ValidateKInit(17))).Should().Throw<DflareException>().WithMessage("*got 17*");
        ((Action)(() => BitAllocation.Bits(-0.1, 16))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => BitAllocation.Bits(double.NaN, 16))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => BitAllocation.ValidateTolerance(1))).Should().Throw<DflareException>().WithMessage("The agreement tolerance must be in [0, 1)*got 1*");
        ((Action)(() => BitAllocation.ValidateTolerance(-0.01))).Should().Throw<DflareException>();
    }

    /// <summary>A toy model: layer l disagrees on max(0, need_l − bits_l) seeds; the errors add up.</summary>
    private static Fidelity Toy(IReadOnlyDictionary<string, int> bits, IReadOnlyDictionary<string, int> need)
    {
        int d = 0; double e = 0;
        foreach (var (l, k) in bits) { d += Math.Max(0, need[l] - k); e += Math.Pow(2, -k); }
        return new Fidelity(d, e);
    }

    [Fact]
    public void The_constrained_greedy_raises_the_costliest_layer_one_bit_at_a_time_until_within_tolerance()
    {
        string[] layers = ["a", "b", "c"];
        var need = new Dictionary<string, int> { ["a"] = 5, ["b"] = 8, ["c"] = 2 };
        var start = new Dictionary<string, int> { ["a"] = 4, ["b"] = 4, ["c"] = 3 };
        var calls = new List<Dictionary<string, int>>();

        var r = BitAllocation.Constrain(layers, start, 16, seeds: 100, tolerance: 0.02, b => { calls.Add(new(b)); return Toy(b, need); });

        // 5 disagreements at the start (a: 1, b: 4); 2 allowed. b costs most until it is within 1 of its need.
        r.StartFidelity.Disagreements.Should().Be(5);
        r.AllowedDisagreements.Should().Be(2);
        r.Met.Should().BeTrue();
        r.Fidelity.Disagreements.Should().BeLessThanOrEqualTo(2);
        r.Steps.Select(s => s.Layer).Should().Equal("b", "b", "b");
        r.Steps.Select(s => s.Result.Disagreements).Should().Equal(4, 3, 2);
        r.Bits.Should().Equal(new Dictionary<string, int> { ["a"] = 4, ["b"] = 7, ["c"] = 3 });
        r.Start.Should().Equal(start);
        r.Agreement.Should().BeApproximately(0.98, 1e-12);
        // One start evaluation, one isolated cost per layer, then per step an isolated cost and a full evaluation.
        r.Evaluations.Should().Be(1 + 3 + 2 * 3).And.Be(calls.Count);
        calls[1].Should().Equal(new Dictionary<string, int> { ["a"] = 4 }, "isolated costs quantize one layer only");
    }

    [Fact]
    public void Ties_in_disagreements_go_to_the_larger_relative_error_and_an_impossible_target_stops_at_k_init()
    {
        string[] layers = ["x", "y"];
        var need = new Dictionary<string, int> { ["x"] = 30, ["y"] = 30 }; // never met below 30 bits
        var r = BitAllocation.Constrain(layers, new Dictionary<string, int> { ["x"] = 5, ["y"] = 3 }, 6, 10, 0, b => Toy(b, need));

        r.Met.Should().BeFalse();
        r.Bits.Values.Should().OnlyContain(k => k == 6);
        r.Steps.First().Layer.Should().Be("y", "y costs more disagreements at 3 bits");
        r.Steps.Should().HaveCount(1 + 3);
    }

    [Fact]
    public void Nothing_is_raised_when_the_start_is_already_within_tolerance()
    {
        int calls = 0;
        var r = BitAllocation.Constrain(["a"], new Dictionary<string, int> { ["a"] = 2 }, 16, 50, 0.1, _ => { calls++; return new Fidelity(5, 0.3); });
        r.Met.Should().BeTrue();
        r.Steps.Should().BeEmpty();
        calls.Should().Be(1);
        r.Bits["a"].Should().Be(2);
    }

    [Theory]
    [InlineData(0, 0, 1.0)]
    [InlineData(1, 0, 1.0)]
    [InlineData(5, 0, 0.0625)]      // 2 · 2^-5
    [InlineData(6, 0, 0.03125)]     // 2 · 2^-6
    [InlineData(10, 2, 79.0 / 2048)] // 2 · (1 + 12 + 66) / 2^12
    [InlineData(2, 10, 79.0 / 2048)]
    [InlineData(4, 0, 0.125)]
    public void The_claim_test_is_an_exact_two_sided_mcnemar_test(int b, int c, double p) =>
        QuanosClaim.McNemar(b, c).Should().BeApproximately(p, 1e-12);

    [Fact]
    public void The_mcnemar_test_does_not_underflow_on_many_discordant_seeds()
    {
        QuanosClaim.McNemar(600, 600).Should().BeApproximately(1.0, 1e-9);
        QuanosClaim.McNemar(700, 500).Should().BeInRange(1e-10, 1e-6);
        ((Action)(() => QuanosClaim.McNemar(-1, 0))).Should().Throw<ArgumentOutOfRangeException>();
    }

    private static WeightedLayer Layer(string name, long[] shape, long bias) => new()
    {
        Name = name, OpType = "Conv", NodeIndex = 0, InputTensor = "in", OutputTensor = name + "_out", WeightInputIndex = 1,
        WeightInput = name + "_w", WeightSource = name + "_w", Storage = WeightStorage.Initializer, WeightShape = shape,
        WeightType = "FLOAT", OutputChannelAxis = 0, BiasCount = bias, Quantized = false,
    };

    [Fact]
    public void Effective_size_counts_weights_at_their_bits_plus_32_bit_scales_and_biases()
    {
        var layers = new[] { Layer("c1", [8, 1, 3, 3], 8), Layer("fc", [10, 100], 10) };
        HybridPrecision.Size(layers, null).Bits.Should().Be((72 + 8 + 1000 + 10) * 32);
        var bits = new Dictionary<string, int> { ["c1"] = 4, ["fc"] = 2 };
        HybridPrecision.Size(layers, bits).Bits.Should().Be(72 * 4 + 8 * 32 + 8 * 32 + 1000 * 2 + 10 * 32 + 10 * 32);
        HybridPrecision.Size(layers, bits).Bytes.Should().Be(HybridPrecision.Size(layers, bits).Bits / 8.0);
        HybridPrecision.Size(layers, new Dictionary<string, int> { ["fc"] = 8 }).Bits.Should().Be((72 + 8) * 32 + 1000 * 8 + 20 * 32, "an unlisted layer stays float");
        HybridPrecision.MeanBits(layers, bits).Should().Be(3);
        HybridPrecision.WeightedMeanBits(layers, bits).Should().BeApproximately((72 * 4 + 1000 * 2) / 1072.0, 1e-12);
        HybridPrecision.WeightedMeanBits(layers, null).Should().Be(32);
    }

    [Fact]
    public void The_ans_ratio_is_the_relative_l2_change_in_double()
    {
        AnsAnalyzer.Ratio([3f, 4f], [3f, 5f]).Should().BeApproximately(0.2, 1e-15);
        AnsAnalyzer.Ratio([3f, 4f], [3f, 4f]).Should().Be(0);
        AnsAnalyzer.Ratio([0f, 0f], [0f, 0f]).Should().Be(0);
        AnsAnalyzer.Ratio([0f, 0f], [0f, 1f]).Should().BeNull("the ratio to an all-zero activation is undefined");
        AnsAnalyzer.Ratio([1e-30f, 0f], [2e-30f, 0f]).Should().BeApproximately(1.0, 1e-6, "tiny activations do not underflow in double");
        ((Action)(() => AnsAnalyzer.Ratio([1f], [1f, 2f]))).Should().Throw<ArgumentException>();

        var (mean, se) = AnsAnalyzer.MeanAndStdErr([1.0, 2.0, 3.0, 4.0]);
        mean.Should().Be(2.5);
        se.Should().BeApproximately(Math.Sqrt(5.0 / 3) / 2, 1e-15);
        AnsAnalyzer.MeanAndStdErr([0.7]).Should().Be((0.7, 0.0));
    }

    [Fact]
    public void A_layer_row_carries_the_rule_applied_to_its_ans()
    {
        var l = AnsAnalyzer.Sensitivity(Layer("c", [4, 1, 1, 1], 4), 0.9, 0.01, 100, 16, 0.05);
        l.Scaled.Should().BeApproximately(14.4, 1e-12);
        l.RawBits.Should().Be(2);
        l.Bits.Should().Be(2);
        l.Clamped.Should().BeFalse();
        l.Margin.Should().BeApproximately(0.1, 1e-12);
        l.ScaledStdErr.Should().BeApproximately(0.16, 1e-12);
        l.MarginStdErrs.Should().BeApproximately(0.625, 1e-9);
        l.Fragile.Should().BeFalse();
        l.Parameters.Should().Be(8);
    }
}
