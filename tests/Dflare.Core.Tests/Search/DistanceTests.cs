using Dflare.Images;
using Dflare.Search;
using Dflare.Search.Random;

namespace Dflare.Tests.Search;

public sealed class DistanceTests
{
    [Fact]
    public void L0_L2_and_Linf_count_differences_in_pixel_levels()
    {
        var a = new Image(2, 2, 1, [10, 20, 30, 40]);
        var b = new Image(2, 2, 1, [13, 20, 26, 40]);
        Distances.L0(a, b).Should().Be(2);
        Distances.L2(a, b).Should().BeApproximately(5, 1e-12, "sqrt(3² + 4²)");
        Distances.LInf(a, b).Should().Be(4);
        FluentActions.Invoking(() => Distances.L2(a, new Image(2, 2, 3))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Ssim_is_1_for_identical_images_and_matches_the_closed_form_for_flat_images()
    {
        var rng = new Rng(1);
        var img = new Image(16, 16, 3);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)rng.NextInt(256);
        Distances.Ssim(img, img).Should().BeApproximately(1, 1e-12);

        // Flat images a and b: zero variances, so SSIM = (2ab + C1) / (a² + b² + C1) in every window.
        var fa = new Image(10, 10, 1); Array.Fill(fa.Pixels, (byte)100);
        var fb = new Image(10, 10, 1); Array.Fill(fb.Pixels, (byte)120);
        double c1 = Math.Pow(0.01 * 255, 2);
        Distances.Ssim(fa, fb).Should().BeApproximately((2 * 100 * 120 + c1) / (100 * 100 + 120 * 120 + c1), 1e-12);
    }

    [Fact]
    public void Ssim_falls_as_noise_grows_and_is_symmetric()
    {
        var rng = new Rng(2);
        var img = new Image(32, 32, 3);
        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) for (int c = 0; c < 3; c++) img[y, x, c] = (byte)(x * 8);
        Image Noisy(int amp)
        {
            var n = img.Clone();
            for (int i = 0; i < n.Pixels.Length; i++) n.Pixels[i] = (byte)Math.Clamp(n.Pixels[i] + rng.NextInt(-amp, amp), 0, 255);
            return n;
        }
        var small = Noisy(5); var large = Noisy(60);
        Distances.Ssim(img, small).Should().BeGreaterThan(Distances.Ssim(img, large));
        Distances.Ssim(img, large).Should().BeApproximately(Distances.Ssim(large, img), 1e-12);
        Distances.Ssim(img, large).Should().BeLessThan(0.9);
    }
}
