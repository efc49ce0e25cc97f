using Dflare.Images;
using Dflare.Search.Mutation;
using Dflare.Search.Random;

namespace Dflare.Tests.Search;

/// <summary>The noise operators' <c>cast=uint8</c> arithmetic (the default, as the DFlare authors' shipped operators: truncation, wrap-around) against <c>cast=round</c>.</summary>
public sealed class Uint8NoiseTests
{
    private static Image Random(int w, int h, int c, ulong seed, int lo = 0, int hi = 255)
    {
        var rng = new Rng(seed);
        var img = new Image(w, h, c);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)rng.NextInt(lo, hi);
        return img;
    }

    [Theory]
    // What NumPy 1.24 on x86-64 gives for np.array([v]).astype(np.uint8).
    [InlineData(-0.3, 0)]
    [InlineData(-0.9, 0)]
    [InlineData(-1.0, 255)]
    [InlineData(-1.2, 255)]
    [InlineData(-2.7, 254)]
    [InlineData(0.0, 0)]
    [InlineData(100.999, 100)]
    [InlineData(255.4, 255)]
    [InlineData(255.99, 255)]
    [InlineData(256.0, 0)]
    [InlineData(256.7, 0)]
    [InlineData(300.2, 44)]
    [InlineData(511.9, 255)]
    [InlineData(512.3, 0)]
    [InlineData(-255.5, 1)]
    [InlineData(-300.7, 212)]
    public void The_uint8_cast_truncates_toward_zero_and_wraps_around_like_numpy(double v, int expected) =>
        NoiseCasts.Uint8(v).Should().Be((byte)expected);

    [Fact]
    public void Both_noises_with_cast_uint8_equal_their_per_value_definitions_with_the_same_generator()
    {
        var img = Random(32, 32, 3, 5);
        for (ulong s = 0; s < 10; s++)
        {
            foreach (var (mean, variance) in new[] { (0.0, 0.1), (0.0, 4.0), (-0.7, 0.1) })
            {
                var r = Rng.For(s, "g");
                var expected = new Image(32, 32, 3, img.Pixels.Select(v => NoiseCasts.Uint8(v + r.NextGaussian(mean, Math.Sqrt(variance)))).ToArray());
                new GaussianNoise(mean, variance, NoiseCast.Uint8).Apply(img, Rng.For(s, "g")).Should().Be(expected, $"mean {mean} variance {variance}, stream {s}");
            }
            var mr = Rng.For(s, "m");
            double m = mr.NextDouble(-0.5, 0.5), sd = Math.Sqrt(mr.NextDouble(0, 0.05));
            var mexp = new Image(32, 32, 3, img.Pixels.Select(v => NoiseCasts.Uint8(v + v * mr.NextGaussian(m, sd))).ToArray());
            new MultiplicativeNoise(cast: NoiseCast.Uint8).Apply(img, Rng.For(s, "m")).Should().Be(mexp, $"multiplicative-noise, stream {s}");
        }
    }

    [Fact]
    public void Gaussian_noise_with_cast_uint8_lowers_about_half_the_values_and_wraps_black_to_white_where_rounding_does_neither()
    {
        var grey = Random(64, 64, 1, 7, 10, 245);
        var truncated = new GaussianNoise(cast: NoiseCast.Uint8).Apply(grey, Rng.For(1, "x"));
        var rounded = new GaussianNoise(cast: NoiseCast.Round).Apply(grey, Rng.For(1, "x"));
        int n = grey.Pixels.Length;
        double down = Enumerable.Range(0, n).Count(i => truncated.Pixels[i] == grey.Pixels[i] - 1) / (double)n;
        down.Should().BeInRange(0.47, 0.53, "any n in (−1, 0) truncates x + n to x − 1: P(n < 0) = ½");
        Enumerable.Range(0, n).Count(i => truncated.Pixels[i] > grey.Pixels[i]).Should().BeLessThan(n / 100, "only n ≥ 1 (0.08 %) raises a value");
        double moved = Enumerable.Range(0, n).Count(i => rounded.Pixels[i] != grey.Pixels[i]) / (double)n;
        moved.Should().BeInRange(0.09, 0.14, "rounding moves only |n| ≥ ½, in both directions");

        // A black image: n ≤ −1 (probability 0.08 % at σ = 0.32) wraps 0 to 255; rounding clips it to 0.
        var black = new Image(256, 256, 1);
        var b = new GaussianNoise(cast: NoiseCast.Uint8).Apply(black, Rng.For(2, "x"));
        b.Pixels.Count(v => v == 255).Should().BeInRange(20, 90, "about 0.08 % of 65,536 values");
        b.Pixels.Should().OnlyContain(v => v == 0 || v == 255 || v == 254 || v == 1);
        new GaussianNoise(cast: NoiseCast.Round).Apply(black, Rng.For(2, "x")).Pixels.Should().OnlyContain(v => v <= 1);
    }

    [Fact]
    public void Multiplicative_noise_with_cast_uint8_wraps_bright_values_pushed_past_255_back_to_dark_ones()
    {
        var bright = new Image(16, 16, 1, Enumerable.Repeat((byte)200, 256).ToArray());
        // Mean in [0.3, 0.5), σ = 0.01: 200 · (1.3 ± 0.03 … 1.5 ± 0.03) = 254 … 306 → 254, 255 or 0 … 50 after the wrap; rounding clips at 255.
        var op = new MultiplicativeNoise(0.3, 0.5, 0.0001, NoiseCast.Uint8);
        op.Apply(bright, Rng.For(3, "x")).Pixels.Should().OnlyContain(v => v <= 50 || v >= 254).And.Contain(v => v <= 50);
        new MultiplicativeNoise(0.3, 0.5, 0.0001, NoiseCast.Round).Apply(bright, Rng.For(3, "x")).Pixels.Should().OnlyContain(v => v == 255);
    }

    [Fact]
    public void The_cast_parameter_parses_round_trips_through_the_spec_and_reports_bad_values()
    {
        var ops = MutationOperators.Parse("gaussian-noise:cast=round,multiplicative-noise:cast=ROUND,salt-pepper");
        ((GaussianNoise)ops[0]).Cast.Should().Be(NoiseCast.Round);
        ((MultiplicativeNoise)ops[1]).Cast.Should().Be(NoiseCast.Round);
        var spec = MutationOperators.Spec(ops);
        spec.Should().Contain("gaussian-noise:mean=0:variance=0.1:cast=round").And.Contain("variance-max=0.05:cast=round");
        MutationOperators.Spec(MutationOperators.Parse(spec)).Should().Be(spec);
        // The default is uint8, and every spec names the cast (a spec from before the parameter is not taken for either).
        MutationOperators.Default().OfType<GaussianNoise>().Single().Cast.Should().Be(NoiseCast.Uint8);
        MutationOperators.Default().OfType<MultiplicativeNoise>().Single().Cast.Should().Be(NoiseCast.Uint8);
        ((GaussianNoise)MutationOperators.Parse("gaussian-noise")[0]).Cast.Should().Be(NoiseCast.Uint8);
        MutationOperators.Spec(MutationOperators.Default()).Should().Contain("gaussian-noise:mean=0:variance=0.1:cast=uint8").And.Contain("variance-max=0.05:cast=uint8");
        var bad = () => MutationOperators.Parse("gaussian-noise:cast=int8");
        bad.Should().Throw<DflareException>().WithMessage("*gaussian-noise*cast must be round or uint8*'int8'*");
        var unknown = () => MutationOperators.Parse("salt-pepper:cast=uint8");
        unknown.Should().Throw<DflareException>().WithMessage("*salt-pepper*no parameter 'cast'*");
    }
}
