using Dflare.Compression;

namespace Dflare.Tests.Compression;

public sealed class QuantMathTests
{
    [Fact]
    public void Symmetric_int8_codes_use_one_scale_per_channel_and_reconstruct_within_half_a_step()
    {
        // Two output channels of three weights each (axis 0, stride 3).
        float[] w = [0.5f, -1.27f, 0.01f, 100f, -50f, 0f];

        var (q, s) = QuantMath.QuantizeSymmetric(w, stride: 3, channels: 2, bits: 8);

        s.Should().Equal(1.27f / 127, 100f / 127);
        q.Should().Equal(50, -127, 1, 127, -64, 0); // -50/(100/127) = -63.5 rounds half to even: -64
        for (int i = 0; i < w.Length; i++) Math.Abs(q[i] * s[i / 3] - w[i]).Should().BeLessThanOrEqualTo(s[i / 3] / 2 + 1e-6f);
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 7)]
    [InlineData(4, 15)]
    [InlineData(8, 255)]
    public void Fake_quantization_to_K_bits_leaves_at_most_2_pow_K_minus_1_levels(int bits, int levels)
    {
        var rng = new Random(7);
        var w = Enumerable.Range(0, 4000).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

        var f = QuantMath.FakeQuantize(w, stride: 1, channels: 1, bits);

        f.Distinct().Count().Should().Be(levels);
        f.Max(MathF.Abs).Should().BeApproximately(w.Max(MathF.Abs), 1e-6f, "the largest magnitude is on the grid");
        f.Zip(w).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= w.Max(MathF.Abs) / ((1 << (bits - 1)) - 1) / 2 + 1e-6);
    }

    [Fact]
    public void Pruning_zeroes_exactly_the_smallest_magnitudes_with_ties_by_position()
    {
        float[] w = [0.3f, -0.1f, 0.2f, 0.1f, -0.5f, 0.1f, 0.9f, -0.2f, 0.4f, 0.6f];

        QuantMath.Prune(w, 0.5).Should().Equal(0.3f, 0f, 0f, 0f, -0.5f, 0f, 0.9f, 0f, 0.4f, 0.6f);
        QuantMath.Prune(w, 0.4).Should().Equal(0.3f, 0f, 0f, 0f, -0.5f, 0f, 0.9f, -0.2f, 0.4f, 0.6f); // of the two 0.2s the first goes
        QuantMath.Prune(w, 0.2).Should().Equal(0.3f, 0f, 0.2f, 0f, -0.5f, 0.1f, 0.9f, -0.2f, 0.4f, 0.6f);
        QuantMath.Prune(w, 0.01).Should().Equal(w, "round(0.1) = 0 weights go");
    }

    [Fact]
    public void Uint8_activation_parameters_cover_the_range_and_keep_zero_exact()
    {
        QuantMath.Uint8Params(0f, 2.55f).Should().Be((0.01f, (byte)0));
        var (s, z) = QuantMath.Uint8Params(-1f, 3f);
        s.Should().BeApproximately(4f / 255, 1e-7f);
        z.Should().Be(64); // round(1 / (4/255)) = round(63.75)
        QuantMath.Uint8Params(0.5f, 2f).Should().Be((2f / 255, (byte)0), "the range is widened to include 0");
        QuantMath.Uint8Params(0f, 0f).Should().Be((1f, (byte)0));
    }
}
