using Dflare.Images;

namespace Dflare.Search;

/// <summary>
/// Distances between an image and its seed, on 0..255 values: L0 (values changed), L2 (Euclidean, in pixel levels),
/// L∞ (largest change, in pixel levels) and SSIM (structural similarity, 1 = identical).
/// </summary>
public static class Distances
{
    /// <summary>Number of values (over every channel) that differ.</summary>
    public static int L0(Image a, Image b)
    {
        Check(a, b);
        int n = 0;
        for (int i = 0; i < a.Pixels.Length; i++) if (a.Pixels[i] != b.Pixels[i]) n++;
        return n;
    }

    /// <summary>Euclidean distance over all values, in pixel levels (divide by 255 for the 0..1 scale).</summary>
    public static double L2(Image a, Image b)
    {
        Check(a, b);
        long sum = 0;
        for (int i = 0; i < a.Pixels.Length; i++) { int d = a.Pixels[i] - b.Pixels[i]; sum += d * d; }
        return Math.Sqrt(sum);
    }

    /// <summary>Largest absolute difference of any value, in pixel levels (0..255).</summary>
    public static int LInf(Image a, Image b)
    {
        Check(a, b);
        int m = 0;
        for (int i = 0; i < a.Pixels.Length; i++) m = Math.Max(m, Math.Abs(a.Pixels[i] - b.Pixels[i]));
        return m;
    }

    /// <summary>
    /// Mean structural similarity (Wang et al. 2004) as scikit-image's <c>structural_similarity</c> computes it by
    /// default: a 7×7 uniform window (smaller, odd, for images under 7 pixels), sample covariances (N − 1),
    /// K1 = 0.01, K2 = 0.03, data range 255, averaged over the windows that fit inside the image and over channels.
    /// </summary>
    public static double Ssim(Image a, Image b)
    {
        Check(a, b);
        int w = a.Width, h = a.Height, c = a.Channels;
        int win = Math.Min(7, Math.Min(w, h));
        if (win % 2 == 0) win--;
        double n = win * win;
        double cov = n > 1 ? n / (n - 1) : 1;
        const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
        double total = 0;
        long windows = 0;
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y + win <= h; y++)
                for (int x = 0; x + win <= w; x++)
                {
                    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                    for (int dy = 0; dy < win; dy++)
                    {
                        int row = ((y + dy) * w + x) * c + ch;
                        for (int dx = 0; dx < win; dx++)
                        {
                            double va = a.Pixels[row + dx * c], vb = b.Pixels[row + dx * c];
                            sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
                        }
                    }
                    double ma = sa / n, mb = sb / n;
                    double vara = cov * (saa / n - ma * ma), varb = cov * (sbb / n - mb * mb), covab = cov * (sab / n - ma * mb);
                    total += (2 * ma * mb + c1) * (2 * covab + c2) / ((ma * ma + mb * mb + c1) * (vara + varb + c2));
                    windows++;
                }
        return total / windows;
    }

    private static void Check(Image a, Image b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Width != b.Width || a.Height != b.Height || a.Channels != b.Channels)
            throw new ArgumentException($"Cannot compare a {a} image with a {b} image.");
    }
}
