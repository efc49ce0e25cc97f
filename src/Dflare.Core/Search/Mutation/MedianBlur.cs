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
    /// Huang's sliding histogram: along each row the window's histogram loses one column and gains one. The median is
    /// found through a second, coarse histogram of 16 bins of 16 levels (at most 16 + 16 steps, wherever the median
    /// jumps). The result is the same as sorting every window (<see cref="BlurReference"/>).
    /// </remarks>
    public static Image Blur(Image image, int k)
    {
        if (k == 1) return image.Clone();
        int w = image.Width, h = image.Height, c = image.Channels, a = k / 2, mid = k * k / 2;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        Span<int> hist = stackalloc int[256];
        Span<int> coarse = stackalloc int[16];
        Span<int> rows = stackalloc int[k];
        Span<int> xs = stackalloc int[w + k];
        for (int i = 0; i < xs.Length; i++) xs[i] = PixelOps.Replicate(i - a - 1, w) * c; // xs[x + a + 1] = column of x
        for (int y = 0; y < h; y++)
        {
            for (int dy = 0; dy < k; dy++) rows[dy] = PixelOps.Replicate(y - a + dy, h) * w * c;
            for (int ch = 0; ch < c; ch++)
            {
                hist.Clear();
                coarse.Clear();
                for (int dx = -a; dx <= a; dx++)
                {
                    int col = xs[dx + a + 1] + ch;
                    for (int dy = 0; dy < k; dy++) { int v = src[rows[dy] + col]; hist[v]++; coarse[v >> 4]++; }
                }
                int o = y * w * c + ch;
                dst[o] = Median(hist, coarse, mid);
                for (int x = 1; x < w; x++)
                {
                    int colOut = xs[x] + ch, colIn = xs[x + 2 * a + 1] + ch; // columns x − a − 1 and x + a
                    for (int dy = 0; dy < k; dy++)
                    {
                        int vout = src[rows[dy] + colOut], vin = src[rows[dy] + colIn];
                        hist[vout]--; coarse[vout >> 4]--;
                        hist[vin]++; coarse[vin >> 4]++;
                    }
                    dst[o + x * c] = Median(hist, coarse, mid);
                }
            }
        }
        return new Image(w, h, c, dst);
    }

    // The smallest value whose cumulative count exceeds mid.
    private static byte Median(ReadOnlySpan<int> hist, ReadOnlySpan<int> coarse, int mid)
    {
        int acc = 0, b = 0;
        while (acc + coarse[b] <= mid) acc += coarse[b++];
        int v = b << 4;
        while (acc + hist[v] <= mid) acc += hist[v++];
        return (byte)v;
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
