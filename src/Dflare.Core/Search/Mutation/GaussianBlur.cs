using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// Gaussian blur with a square kernel whose side is drawn uniformly from <see cref="Kernels"/> (default 1, 3, 5, 7),
/// per channel. σ follows from the kernel size by OpenCV's rule <c>σ = 0.3·((k − 1)/2 − 1) + 0.8</c> (0.8, 1.1, 1.4
/// for 3, 5, 7); separable, BORDER_REFLECT_101, rounded half to even. Kernel 1 leaves the image unchanged.
/// </summary>
public sealed class GaussianBlur : IMutationOperator
{
    /// <summary>Creates the operator.</summary>
    /// <exception cref="DflareException">A kernel size is not a positive odd number, or none is given.</exception>
    public GaussianBlur(int[]? kernels = null)
    {
        kernels ??= [1, 3, 5, 7];
        if (kernels.Length == 0 || kernels.Any(k => k < 1 || k % 2 == 0))
            throw OperatorParameters.Invalid(Name, $"kernels must be positive odd numbers (got {string.Join("|", kernels)})");
        Kernels = kernels;
    }

    /// <summary>The kernel sides to draw from.</summary>
    public IReadOnlyList<int> Kernels { get; }

    /// <inheritdoc />
    public string Name => "gaussian-blur";
    /// <inheritdoc />
    public string Spec => $"{Name}:kernels={string.Join("|", Kernels)}";

    /// <summary>σ for kernel side <paramref name="k"/> (OpenCV's <c>getGaussianKernel</c> rule for σ ≤ 0).</summary>
    public static double Sigma(int k) => 0.3 * ((k - 1) * 0.5 - 1) + 0.8;

    /// <summary>The normalised 1-D kernel of side <paramref name="k"/>.</summary>
    public static double[] Kernel(int k)
    {
        var w = new double[k];
        double sigma = Sigma(k), sum = 0;
        for (int i = 0; i < k; i++)
        {
            double x = i - (k - 1) / 2.0;
            w[i] = Math.Exp(-x * x / (2 * sigma * sigma));
            sum += w[i];
        }
        for (int i = 0; i < k; i++) w[i] /= sum;
        return w;
    }

    /// <inheritdoc />
    public Image Apply(Image image, Rng rng) => Blur(image, Kernels[rng.NextInt(Kernels.Count)]);

    /// <summary>Gaussian-blurs with a <paramref name="k"/>×<paramref name="k"/> kernel.</summary>
    /// <remarks>Separable, through precomputed border indices; each sum runs over the kernel in the same order as ever.</remarks>
    public static Image Blur(Image image, int k)
    {
        if (k == 1) return image.Clone();
        int w = image.Width, h = image.Height, c = image.Channels;
        var kernel = Kernel(k);
        var src = image.Pixels;
        var xs = PixelOps.ReflectTable(w, k, c);
        var ys = PixelOps.ReflectTable(h, k, w * c);
        var rows = new double[src.Length];
        for (int y = 0; y < h; y++)
        {
            int row = y * w * c;
            for (int x = 0; x < w; x++)
            {
                int o = row + x * c, t = x * k;
                for (int ch = 0; ch < c; ch++)
                {
                    double s = 0;
                    for (int d = 0; d < k; d++) s += kernel[d] * src[row + xs[t + d] + ch];
                    rows[o + ch] = s;
                }
            }
        }
        var dst = new byte[src.Length];
        int stride = w * c;
        for (int y = 0; y < h; y++)
        {
            int t = y * k, o = y * stride;
            for (int i = 0; i < stride; i++)
            {
                double s = 0;
                for (int d = 0; d < k; d++) s += kernel[d] * rows[ys[t + d] + i];
                dst[o + i] = PixelOps.RoundClip(s);
            }
        }
        return new Image(w, h, c, dst);
    }

    internal static GaussianBlur From(OperatorParameters p)
    {
        var op = new GaussianBlur(p.Ints("kernels", [1, 3, 5, 7]));
        p.EnsureAllUsed(["kernels"]);
        return op;
    }
}
