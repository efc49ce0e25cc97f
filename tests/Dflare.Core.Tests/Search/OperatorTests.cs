using Dflare.Images;
using Dflare.Search.Mutation;
using Dflare.Search.Random;

namespace Dflare.Tests.Search;

public sealed class OperatorTests
{
    private static Image Grey(int w, int h, int c, byte v)
    {
        var img = new Image(w, h, c);
        Array.Fill(img.Pixels, v);
        return img;
    }

    private static Image Noise(int w, int h, int c, ulong seed)
    {
        var rng = new Rng(seed);
        var img = new Image(w, h, c);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)rng.NextInt(256);
        return img;
    }

    public static TheoryData<string> AllOperators() => new(MutationOperators.Names);

    [Theory]
    [MemberData(nameof(AllOperators))]
    public void Every_operator_keeps_the_shape_leaves_its_input_alone_and_is_reproducible_from_the_generator_state(string name)
    {
        var op = MutationOperators.Parse(name).Single();
        foreach (var input in new[] { Noise(32, 32, 3, 1), Noise(28, 28, 1, 2), Noise(5, 3, 3, 3) })
        {
            var copy = input.Clone();
            var a = op.Apply(input, Rng.For(9, "s", 1));
            var b = op.Apply(input, Rng.For(9, "s", 1));
            input.Should().Be(copy, "the input must not be modified");
            a.Width.Should().Be(input.Width); a.Height.Should().Be(input.Height); a.Channels.Should().Be(input.Channels);
            a.Should().Be(b, "the same generator state gives the same mutant");
            var others = Enumerable.Range(2, 20).Select(k => op.Apply(input, Rng.For(9, "s", (ulong)k))).ToList();
            others.Should().Contain(o => !o.Equals(input), $"{name} must change the image for some generator states");
        }
    }

    [Fact]
    public void Gaussian_noise_with_cast_round_and_variance_0_1_rounds_rather_than_truncates_so_about_11_percent_of_values_move_by_one()
    {
        var op = new GaussianNoise(cast: NoiseCast.Round);
        var src = Grey(32, 32, 3, 128);
        var rng = new Rng(5);
        int changed = 0, total = 0, sum = 0;
        for (int k = 0; k < 20; k++)
        {
            var m = op.Apply(src, rng);
            for (int i = 0; i < m.Pixels.Length; i++)
            {
                int d = m.Pixels[i] - 128;
                Math.Abs(d).Should().BeLessThanOrEqualTo(2);
                if (d != 0) changed++;
                sum += d; total++;
            }
        }
        // P(|N(0, 0.1)| ≥ 0.5) = 2·(1 − Φ(0.5/√0.1)) = 0.1138; truncation toward zero would change ~0 %.
        ((double)changed / total).Should().BeApproximately(0.1138, 0.012);
        ((double)sum / total).Should().BeApproximately(0, 0.01);
        // No wrap-around: noise on black and white stays at the ends.
        op.Apply(Grey(32, 32, 3, 0), rng).Pixels.Should().OnlyContain(v => v <= 2);
        op.Apply(Grey(32, 32, 3, 255), rng).Pixels.Should().OnlyContain(v => v >= 253);
    }

    [Fact]
    public void Salt_and_pepper_sets_0_4_percent_of_values_half_to_255_half_to_0_with_at_least_one_of_each()
    {
        var op = new SaltPepper();
        op.Counts(32 * 32 * 3).Should().Be((7, 7), "ceil(0.004 · 3072 / 2) = 7");
        op.Counts(28 * 28).Should().Be((2, 2));
        op.Counts(4).Should().Be((1, 1), "at least one of each");
        var m = op.Apply(Grey(32, 32, 3, 100), new Rng(6));
        m.Pixels.Count(v => v == 255).Should().Be(7);
        m.Pixels.Count(v => v == 0).Should().Be(7);
        m.Pixels.Count(v => v == 100).Should().Be(3072 - 14);
        var tiny = op.Apply(Grey(2, 2, 1, 100), new Rng(7));
        tiny.Pixels.Should().Contain(255).And.Contain(0);
    }

    [Fact]
    public void Multiplicative_noise_scales_values_by_1_plus_n_with_a_per_application_mean_in_minus_half_to_half()
    {
        var op = new MultiplicativeNoise(cast: NoiseCast.Round);
        var src = Grey(32, 32, 3, 100);
        var rng = new Rng(8);
        var means = new List<double>();
        for (int k = 0; k < 300; k++)
        {
            var m = op.Apply(src, rng);
            double rel = m.Pixels.Average(v => (double)v) / 100 - 1;
            rel.Should().BeInRange(-0.5 - 0.02, 0.5 + 0.02);
            means.Add(rel);
        }
        means.Min().Should().BeLessThan(-0.4, "m ~ U[−0.5, 0.5) reaches near −0.5");
        means.Max().Should().BeGreaterThan(0.4);
        op.Apply(Grey(16, 16, 1, 0), rng).Pixels.Should().OnlyContain(v => v == 0, "x + x·n is 0 for x = 0");
        // No wrap-around: with n ≈ 0.3..0.5, 250·(1 + n) saturates at 255 instead of wrapping to dark values.
        var brighten = new MultiplicativeNoise(0.3, 0.5, 0.0001, NoiseCast.Round);
        brighten.Apply(Grey(32, 32, 3, 250), rng).Pixels.Should().OnlyContain(v => v == 255);
    }

    [Fact]
    public void Pixel_change_sets_1_to_9_values_to_random_levels()
    {
        var op = new PixelChange();
        var src = Grey(32, 32, 3, 77);
        var rng = new Rng(10);
        var counts = new HashSet<int>();
        for (int k = 0; k < 400; k++)
        {
            int changed = Distances(op.Apply(src, rng), src);
            changed.Should().BeInRange(0, 9);
            counts.Add(changed);
        }
        counts.Should().Contain(Enumerable.Range(1, 9), "every count from 1 to 9 occurs (a value may be redrawn to its own level, hence 0 is possible too)");
    }

    private static int Distances(Image a, Image b) => Dflare.Search.Distances.L0(a, b);

    [Fact]
    public void Box_blur_averages_with_opencv_reflect_101_borders()
    {
        var img = new Image(3, 3, 1, [0, 0, 0, 0, 90, 0, 0, 0, 0]);
        // Reflect-101 makes the centre pixel appear 4 times in a corner's window, twice in an edge's, once in its own.
        BoxBlur.Blur(img, 3).Pixels.Should().Equal(40, 20, 40, 20, 10, 20, 40, 20, 40);
        BoxBlur.Blur(img, 1).Should().Be(img);
        var flat = Grey(9, 7, 3, 123);
        BoxBlur.Blur(flat, 5).Should().Be(flat);
        BoxBlur.Blur(flat, 4).Should().Be(flat);
    }

    [Fact]
    public void Gaussian_blur_takes_sigma_from_the_kernel_size_and_smooths()
    {
        GaussianBlur.Sigma(3).Should().BeApproximately(0.8, 1e-12);
        GaussianBlur.Sigma(5).Should().BeApproximately(1.1, 1e-12);
        GaussianBlur.Sigma(7).Should().BeApproximately(1.4, 1e-12);
        foreach (var k in new[] { 3, 5, 7 })
        {
            var w = GaussianBlur.Kernel(k);
            w.Sum().Should().BeApproximately(1, 1e-12);
            w.Should().Equal(w.Reverse().ToArray());
            w[k / 2].Should().Be(w.Max());
        }
        var noise = Noise(32, 32, 3, 11);
        var blurred = GaussianBlur.Blur(noise, 5);
        Variance(blurred).Should().BeLessThan(Variance(noise) / 4);
        GaussianBlur.Blur(noise, 1).Should().Be(noise);
        var flat = Grey(8, 8, 1, 200);
        GaussianBlur.Blur(flat, 7).Should().Be(flat);
    }

    [Fact]
    public void Median_blur_removes_an_isolated_spike_and_keeps_edges()
    {
        var img = Grey(7, 7, 1, 50);
        img[3, 3, 0] = 255;
        MedianBlur.Blur(img, 3).Should().Be(Grey(7, 7, 1, 50));
        // A step edge survives a median filter.
        var step = new Image(6, 4, 1);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 6; x++) step[y, x, 0] = (byte)(x < 3 ? 10 : 200);
        MedianBlur.Blur(step, 3).Should().Be(step);
        var m = MedianBlur.Blur(new Image(3, 1, 1, [1, 9, 5]), 3);
        // BORDER_REPLICATE: the windows are {1,1,9}, {1,9,5}, {9,5,5} (each row three times).
        m.Pixels.Should().Equal(1, 5, 5);
    }

    [Fact]
    public void Median_blur_equals_the_per_window_reference_on_random_images_on_every_path()
    {
        var rng = new Rng(5);
        // Narrow rows take the histogram path; rows of 16+ bytes the 16-lane network, 32+ the 32-lane one (with a last
        // block overlapping the one before when the row is not a multiple of the lanes); kernels above 7 the histogram.
        foreach (var (w, h, c) in new[] { (1, 1, 1), (3, 1, 1), (2, 9, 3), (28, 28, 1), (32, 32, 3), (5, 4, 3), (16, 3, 1), (11, 5, 3), (7, 2, 3) })
            for (int trial = 0; trial < 3; trial++)
            {
                var img = new Image(w, h, c);
                // Mix of smooth areas, noise and few distinct levels (many ties).
                for (int i = 0; i < img.Pixels.Length; i++)
                    img.Pixels[i] = trial switch { 0 => (byte)rng.NextInt(256), 1 => (byte)(rng.NextInt(4) * 60), _ => (byte)(i % 17 * 15) };
                foreach (var k in new[] { 1, 3, 5, 7, 9 })
                    MedianBlur.Blur(img, k).Should().Be(MedianBlur.BlurReference(img, k), $"{w}x{h}x{c}, trial {trial}, kernel {k}");
            }
    }

    // The operators' definitions, pixel by pixel with the border rule per access: the fast versions must equal them.
    private static Image BoxReference(Image img, int k)
    {
        int w = img.Width, h = img.Height, c = img.Channels, a = k / 2;
        var rows = new int[img.Pixels.Length];
        var dst = new Image(w, h, c);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int ch = 0; ch < c; ch++)
        {
            int s = 0;
            for (int d = 0; d < k; d++) s += img[y, Reflect101(x - a + d, w), ch];
            rows[(y * w + x) * c + ch] = s;
        }
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int ch = 0; ch < c; ch++)
        {
            int s = 0;
            for (int d = 0; d < k; d++) s += rows[(Reflect101(y - a + d, h) * w + x) * c + ch];
            dst[y, x, ch] = RoundClip(s * (1.0 / (k * k)));
        }
        return dst;
    }

    private static Image GaussianReference(Image img, int k)
    {
        int w = img.Width, h = img.Height, c = img.Channels, a = k / 2;
        var kernel = GaussianBlur.Kernel(k);
        var rows = new double[img.Pixels.Length];
        var dst = new Image(w, h, c);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int ch = 0; ch < c; ch++)
        {
            double s = 0;
            for (int d = 0; d < k; d++) s += kernel[d] * img[y, Reflect101(x - a + d, w), ch];
            rows[(y * w + x) * c + ch] = s;
        }
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int ch = 0; ch < c; ch++)
        {
            double s = 0;
            for (int d = 0; d < k; d++) s += kernel[d] * rows[(Reflect101(y - a + d, h) * w + x) * c + ch];
            dst[y, x, ch] = RoundClip(s);
        }
        return dst;
    }

    private static int Reflect101(int i, int n)
    {
        if (n == 1) return 0;
        while (i < 0 || i >= n) { if (i < 0) i = -i; if (i >= n) i = 2 * n - 2 - i; }
        return i;
    }

    private static byte RoundClip(double v) => (byte)Math.Clamp(Math.Round(v, MidpointRounding.ToEven), 0, 255);

    [Fact]
    public void Box_and_Gaussian_blur_equal_their_per_pixel_definitions_on_random_images_of_any_size()
    {
        foreach (var (w, h, c) in new[] { (1, 1, 1), (3, 1, 1), (2, 9, 3), (28, 28, 1), (32, 32, 3), (5, 4, 3) })
            for (int trial = 0; trial < 2; trial++)
            {
                var img = Noise(w, h, c, (ulong)(w * 100 + h * 10 + c + trial));
                foreach (var k in new[] { 1, 2, 3, 4, 5, 7, 9 })
                {
                    BoxBlur.Blur(img, k).Should().Be(BoxReference(img, k), $"box {w}x{h}x{c}, kernel {k}");
                    if (k % 2 == 1) GaussianBlur.Blur(img, k).Should().Be(GaussianReference(img, k), $"gaussian {w}x{h}x{c}, kernel {k}");
                }
            }
    }

    [Fact]
    public void Gaussian_and_multiplicative_noise_with_cast_round_equal_their_per_value_definitions_with_the_same_generator()
    {
        var img = Noise(32, 32, 3, 99);
        for (ulong s = 0; s < 20; s++)
        {
            foreach (var (mean, variance) in new[] { (0.0, 0.1), (0.0, 4.0), (0.3, 0.1), (0.0, 0.0) })
            {
                var op = new GaussianNoise(mean, variance, NoiseCast.Round);
                var r = Rng.For(s, "seed");
                var expected = new Image(32, 32, 3, img.Pixels.Select(v => RoundClip(v + r.NextGaussian(mean, Math.Sqrt(variance)))).ToArray());
                op.Apply(img, Rng.For(s, "seed")).Should().Be(expected, $"gaussian-noise mean {mean} variance {variance}, stream {s}");
            }
            var mr = Rng.For(s, "m");
            double m = mr.NextDouble(-0.5, 0.5), sd = Math.Sqrt(mr.NextDouble(0, 0.05));
            var mexp = new Image(32, 32, 3, img.Pixels.Select(v => RoundClip(v + v * mr.NextGaussian(m, sd))).ToArray());
            new MultiplicativeNoise(cast: NoiseCast.Round).Apply(img, Rng.For(s, "m")).Should().Be(mexp, $"multiplicative-noise, stream {s}");
        }
    }

    private static double Variance(Image img)
    {
        double mean = img.Pixels.Average(v => (double)v);
        return img.Pixels.Average(v => (v - mean) * (v - mean));
    }

    [Fact]
    public void Operator_lists_parse_with_parameters_round_trip_and_report_unknown_names_and_parameters()
    {
        MutationOperators.Parse(null).Select(o => o.Name).Should().Equal(MutationOperators.Names);
        var ops = MutationOperators.Parse("gaussian-noise:variance=0.5, salt-pepper:amount=0.01,gaussian-blur:kernels=3|5");
        ops.Should().HaveCount(3);
        ((GaussianNoise)ops[0]).Variance.Should().Be(0.5);
        ((SaltPepper)ops[1]).Amount.Should().Be(0.01);
        ((GaussianBlur)ops[2]).Kernels.Should().Equal(3, 5);
        var spec = MutationOperators.Spec(MutationOperators.Default());
        MutationOperators.Spec(MutationOperators.Parse(spec)).Should().Be(spec);

        FluentActions.Invoking(() => MutationOperators.Parse("blurry")).Should().Throw<DflareException>().WithMessage("*Unknown mutation operator 'blurry'*gaussian-noise*");
        FluentActions.Invoking(() => MutationOperators.Parse("box-blur:size=3")).Should().Throw<DflareException>().WithMessage("*'box-blur' has no parameter 'size'*max-kernel*");
        FluentActions.Invoking(() => MutationOperators.Parse("gaussian-noise:variance=x")).Should().Throw<DflareException>().WithMessage("*variance*not a number*");
        FluentActions.Invoking(() => MutationOperators.Parse("median-blur:kernels=2")).Should().Throw<DflareException>().WithMessage("*odd*");
        FluentActions.Invoking(() => MutationOperators.Parse("pixel-change,pixel-change")).Should().Throw<DflareException>().WithMessage("*twice*");
    }
}
