using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// Box (mean) blur with a square kernel of side <c>U{MinKernel..MaxKernel}</c> (default 1..5), per channel, as
/// OpenCV's <c>blur</c>: anchor at the kernel centre (<c>k/2</c>), BORDER_REFLECT_101, sums rounded half to even.
/// Kernel 1 leaves the image unchanged.
/// </summary>
public sealed class BoxBlur : IMutationOperator
{
    /// <summary>Creates the operator.</summary>
    /// <exception cref="DflareException">The kernel range is empty or not positive.</exception>
    public BoxBlur(int minKernel = 1, int maxKernel = 5)
    {
        if (minKernel < 1 || maxKernel < minKernel) throw OperatorParameters.Invalid(Name, $"need 1 ≤ min-kernel ≤ max-kernel (got {minKernel}..{maxKernel})");
        MinKernel = minKernel; MaxKernel = maxKernel;
    }

    /// <summary>Smallest kernel side (default 1).</summary>
    public int MinKernel { get; }
    /// <summary>Largest kernel side (default 5).</summary>
    public int MaxKernel { get; }

    /// <inheritdoc />
    public string Name => "box-blur";
    /// <inheritdoc />
    public string Spec => $"{Name}:min-kernel={MinKernel}:max-kernel={MaxKernel}";

    /// <inheritdoc />
    public Image Apply(Image image, Rng rng) => Blur(image, rng.NextInt(MinKernel, MaxKernel));

    /// <summary>Box-blurs with a <paramref name="k"/>×<paramref name="k"/> kernel.</summary>
    /// <remarks>Separable integer sums through precomputed border indices; integer sums are exact in any order.</remarks>
    public static Image Blur(Image image, int k)
    {
        if (k == 1) return image.Clone(); // a 1×1 mean is the image itself
        int w = image.Width, h = image.Height, c = image.Channels, a = k / 2;
        var src = image.Pixels;
        var xs = PixelOps.ReflectTable(w, k, c);     // xs[x·k + d]: offset of column x − a + d
        var ys = PixelOps.ReflectTable(h, k, w * c); // ys[y·k + d]: offset of row y − a + d
        var rows = new int[src.Length];
        for (int y = 0; y < h; y++)
        {
            int row = y * w * c;
            for (int x = 0; x < w; x++)
            {
                int o = row + x * c, t = x * k;
                for (int ch = 0; ch < c; ch++)
                {
                    int s = 0;
                    for (int d = 0; d < k; d++) s += src[row + xs[t + d] + ch];
                    rows[o + ch] = s;
                }
            }
        }
        var dst = new byte[src.Length];
        double scale = 1.0 / (k * k);
        int stride = w * c;
        for (int y = 0; y < h; y++)
        {
            int t = y * k, o = y * stride;
            for (int i = 0; i < stride; i++)
            {
                int s = 0;
                for (int d = 0; d < k; d++) s += rows[ys[t + d] + i];
                dst[o + i] = PixelOps.RoundClip(s * scale);
            }
        }
        return new Image(w, h, c, dst);
    }

    internal static BoxBlur From(OperatorParameters p)
    {
        var op = new BoxBlur(p.Int("min-kernel", 1), p.Int("max-kernel", 5));
        p.EnsureAllUsed(["min-kernel", "max-kernel"]);
        return op;
    }
}
