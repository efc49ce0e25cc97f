using Dflare.Images;

namespace Dflare.Search.Shrinking;

/// <summary>
/// How far each value of a seed may move when shrinking looks for a nearer deviation: in proportion to the seed's local
/// contrast. SSIM compares each 7×7 window's mean, contrast and structure; in a flat window (a black background) any
/// change ruins all three, while in a textured one the same change costs little. So a flat region gets radius 0 (it is
/// never touched) and an edge or texture gets up to the full radius.
/// </summary>
public static class LocalRadius
{
    /// <summary>
    /// Per value: <paramref name="scale"/> × the standard deviation of the seed's values of that channel in the 7×7
    /// neighbourhood (clipped at the border), rounded, at most <paramref name="max"/>.
    /// </summary>
    /// <param name="seed">The seed image.</param>
    /// <param name="scale">Grey levels of radius per grey level of local standard deviation.</param>
    /// <param name="max">The largest radius (grey levels, 0–255).</param>
    /// <returns>One radius per value of <paramref name="seed"/>, in its layout.</returns>
    public static byte[] For(Image seed, double scale, int max)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (!(scale >= 0) || !double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be a finite number ≥ 0.");
        if (max is < 0 or > 255) throw new ArgumentOutOfRangeException(nameof(max), max, "The largest radius must be 0–255.");
        int w = seed.Width, h = seed.Height, c = seed.Channels;
        var radii = new byte[seed.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    double sum = 0, squares = 0;
                    int n = 0;
                    for (int yy = Math.Max(0, y - 3); yy <= Math.Min(h - 1, y + 3); yy++)
                        for (int xx = Math.Max(0, x - 3); xx <= Math.Min(w - 1, x + 3); xx++)
                        {
                            double v = seed.Pixels[(yy * w + xx) * c + ch];
                            sum += v;
                            squares += v * v;
                            n++;
                        }
                    double mean = sum / n, sd = Math.Sqrt(Math.Max(0, squares / n - mean * mean));
                    radii[(y * w + x) * c + ch] = (byte)Math.Clamp((int)Math.Round(scale * sd, MidpointRounding.AwayFromZero), 0, max);
                }
        return radii;
    }
}
