using System.Buffers;
using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// Additive Gaussian noise: every value gets <c>x + n</c>, <c>n ~ N(mean, variance)</c> drawn independently per
/// value (so per channel), turned back into a level by <see cref="Cast"/>. By default (<see cref="NoiseCast.Uint8"/>,
/// the DFlare authors' shipped arithmetic, which was measured to trigger more seeds) the value is truncated and
/// wrapped: with the default variance 0.1 (σ ≈ 0.32) about half the values fall by one level per application, and a 0
/// becomes 255 when n ≤ −1. With <see cref="NoiseCast.Round"/> (<c>cast=round</c>) it is rounded to the nearest
/// integer and clipped to 0..255: about 11 % of the values move by ±1.
/// </summary>
public sealed class GaussianNoise : IMutationOperator
{
    /// <summary>Creates the operator.</summary>
    /// <exception cref="DflareException">The variance is negative.</exception>
    public GaussianNoise(double mean = 0, double variance = 0.1, NoiseCast cast = NoiseCast.Uint8)
    {
        if (variance < 0 || !double.IsFinite(variance)) throw OperatorParameters.Invalid(Name, $"variance must be ≥ 0 (got {variance})");
        if (!double.IsFinite(mean)) throw OperatorParameters.Invalid(Name, "mean must be finite");
        Mean = mean; Variance = variance; Cast = cast;
    }

    /// <summary>How a noisy value becomes a pixel level (default <see cref="NoiseCast.Uint8"/>).</summary>
    public NoiseCast Cast { get; }

    /// <summary>Mean of the noise, in pixel levels (default 0).</summary>
    public double Mean { get; }
    /// <summary>Variance of the noise, in squared pixel levels (default 0.1).</summary>
    public double Variance { get; }

    /// <inheritdoc />
    public string Name => "gaussian-noise";
    /// <inheritdoc />
    public string Spec => $"{Name}:mean={PixelOps.F(Mean)}:variance={PixelOps.F(Variance)}:cast={Cast.Name()}";

    /// <inheritdoc />
    public Image Apply(Image image, Rng rng)
    {
        var src = image.Pixels;
        var dst = new byte[src.Length];
        double sd = Math.Sqrt(Variance);
        var noise = ArrayPool<double>.Shared.Rent(src.Length);
        try
        {
            if (Cast == NoiseCast.Uint8)
            {
                // Truncation: any negative noise moves a pixel down, so every sample is needed.
                rng.FillGaussian(noise.AsSpan(0, src.Length));
                for (int i = 0; i < src.Length; i++) dst[i] = NoiseCasts.Uint8(src[i] + (Mean + sd * noise[i]));
            }
            else
            {
                // With zero mean, noise below half a level in magnitude rounds back to the pixel itself, so Box–Muller pairs
                // certainly that small need not be computed (they come back as zeros, which give the same pixels).
                rng.FillGaussian(noise.AsSpan(0, src.Length), Mean == 0 && sd > 0 ? 0.5 / sd : 0);
                for (int i = 0; i < src.Length; i++) dst[i] = PixelOps.RoundClip(src[i] + (Mean + sd * noise[i]));
            }
        }
        finally { ArrayPool<double>.Shared.Return(noise); }
        return new Image(image.Width, image.Height, image.Channels, dst);
    }

    internal static GaussianNoise From(OperatorParameters p)
    {
        var op = new GaussianNoise(p.Double("mean", 0), p.Double("variance", 0.1), NoiseCasts.Parse(p, "gaussian-noise"));
        p.EnsureAllUsed(["mean", "variance", "cast"]);
        return op;
    }
}
