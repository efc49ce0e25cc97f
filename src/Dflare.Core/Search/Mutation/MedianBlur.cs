using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// Median blur with a square kernel whose side is drawn uniformly from <see cref="Kernels"/> (default 1, 3, 5, 7), per
/// channel, as OpenCV's <c>medianBlur</c> (BORDER_REPLICATE). Kernel 1 leaves the image unchanged.
/// </summary>
public sealed class MedianBlur : IMutationOperator
{
    /// <summary>Creates the operator.</summary>
    /// <exception cref="DflareException">A kernel size is not a positive odd number, or none is given.</exception>
    public MedianBlur(int[]? kernels = null)
    {
        kernels ??= [1, 3, 5, 7];
        if (kernels.Length == 0 || kernels.Any(k => k < 1 || k % 2 == 0))
            throw OperatorParameters.Invalid(Name, $"kernels must be positive odd numbers (got {string.Join("|", kernels)})");
        Kernels = kernels;
    }

    /// <summary>The kernel sides to draw from.</summary>
    public IReadOnlyList<int> Kernels { get; }

    /// <inheritdoc />
    public string Name => "median-blur";
    /// <inheritdoc />
    public string Spec => $"{Name}:kernels={string.Join("|", Kernels)}";

    /// <inheritdoc />
    public Image Apply(Image image, Rng rng) => Blur(image, Kernels[rng.NextInt(Kernels.Count)]);

    /// <summary>Median-filters with a <paramref name="k"/>×<paramref name="k"/> window.</summary>
    /// <remarks>
    /// Huang's sliding histogram: along each row the window's histogram loses one column and gains one, and the median
    /// moves from its last position; the result is the same as sorting every window (<see cref="BlurReference"/>).
    /// </remarks>
    public static Image Blur(Image image, int k)
    {
        if (k == 1) return image.Clone();
        int w = image.Width, h = image.Height, c = image.Channels, a = k / 2, mid = k * k / 2;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        Span<int> hist = stackalloc int[256];
        Span<int> rows = stackalloc int[k];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
            {
                for (int dy = 0; dy < k; dy++) rows[dy] = PixelOps.Replicate(y - a + dy, h) * w;
                hist.Clear();
                for (int dx = -a; dx <= a; dx++)
                {
                    int xx = PixelOps.Replicate(dx, w);
                    for (int dy = 0; dy < k; dy++) hist[src[(rows[dy] + xx) * c + ch]]++;
                }
                // med: the smallest value whose cumulative count exceeds mid; lt: the number of values below it.
                int med = 0, lt = 0;
                while (lt + hist[med] <= mid) lt += hist[med++];
                dst[(y * w) * c + ch] = (byte)med;
                for (int x = 1; x < w; x++)
                {
                    int xout = PixelOps.Replicate(x - a - 1, w), xin = PixelOps.Replicate(x + a, w);
                    for (int dy = 0; dy < k; dy++)
                    {
                        int vout = src[(rows[dy] + xout) * c + ch], vin = src[(rows[dy] + xin) * c + ch];
                        hist[vout]--; if (vout < med) lt--;
                        hist[vin]++; if (vin < med) lt++;
                    }
                    while (lt > mid) lt -= hist[--med];
                    while (lt + hist[med] <= mid) lt += hist[med++];
                    dst[(y * w + x) * c + ch] = (byte)med;
                }
            }
        return new Image(w, h, c, dst);
    }

    /// <summary>The straightforward median filter (a histogram per window), kept as the reference <see cref="Blur"/> is tested against.</summary>
    internal static Image BlurReference(Image image, int k)
    {
        if (k == 1) return image.Clone();
        int w = image.Width, h = image.Height, c = image.Channels, a = k / 2, mid = k * k / 2;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        Span<int> hist = stackalloc int[256];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    hist.Clear();
                    for (int dy = -a; dy <= a; dy++)
                    {
                        int yy = PixelOps.Replicate(y + dy, h);
                        for (int dx = -a; dx <= a; dx++)
                            hist[src[(yy * w + PixelOps.Replicate(x + dx, w)) * c + ch]]++;
                    }
                    int acc = 0, v = 0;
                    for (; v < 256; v++) { acc += hist[v]; if (acc > mid) break; }
                    dst[(y * w + x) * c + ch] = (byte)v;
                }
        return new Image(w, h, c, dst);
    }

    internal static MedianBlur From(OperatorParameters p)
    {
        var op = new MedianBlur(p.Ints("kernels", [1, 3, 5, 7]));
        p.EnsureAllUsed(["kernels"]);
        return op;
    }
}
