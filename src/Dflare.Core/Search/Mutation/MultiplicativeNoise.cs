using System.Buffers;
using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// Multiplicative (speckle) noise: every value becomes <c>x + x·n</c> with <c>n ~ N(m, σ²)</c> drawn per value, where
/// one application first draws <c>m ~ U[MeanMin, MeanMax)</c> and <c>σ² ~ U[0, VarianceMax)</c>. Defaults: m ~ U[−0.5,
/// 0.5), σ² ~ U[0, 0.05). By default (<see cref="NoiseCast.Uint8"/>, the DFlare authors' shipped arithmetic) the value
/// is truncated and wrapped, so a bright value pushed past 255 comes back dark (200 · 1.4 = 280 → 24); with
/// <see cref="NoiseCast.Round"/> (<c>cast=round</c>) it is rounded and clipped to 0..255.
/// </summary>
public sealed class MultiplicativeNoise : IMutationOperator
{
    /// <summary>Creates the operator.</summary>
    /// <exception cref="DflareException">The mean range is empty or the variance bound negative.</exception>
    public MultiplicativeNoise(double meanMin = -0.5, double meanMax = 0.5, double varianceMax = 0.05, NoiseCast cast = NoiseCast.Uint8)
    {
        if (!(meanMin <= meanMax)) throw OperatorParameters.Invalid(Name, $"mean-min ({meanMin}) must not exceed mean-max ({meanMax})");
        if (!(varianceMax >= 0)) throw OperatorParameters.Invalid(Name, $"variance-max must be ≥ 0 (got {varianceMax})");
        MeanMin = meanMin; MeanMax = meanMax; VarianceMax = varianceMax; Cast = cast;
    }

    /// <summary>How a noisy value becomes a pixel level (default <see cref="NoiseCast.Uint8"/>).</summary>
    public NoiseCast Cast { get; }

    /// <summary>Lower bound of the per-application mean (default −0.5).</summary>
    public double MeanMin { get; }
    /// <summary>Upper bound (exclusive) of the per-application mean (default 0.5).</summary>
    public double MeanMax { get; }
    /// <summary>Upper bound (exclusive) of the per-application variance (default 0.05).</summary>
    public double VarianceMax { get; }

    /// <inheritdoc />
    public string Name => "multiplicative-noise";
    /// <inheritdoc />
    public string Spec => $"{Name}:mean-min={PixelOps.F(MeanMin)}:mean-max={PixelOps.F(MeanMax)}:variance-max={PixelOps.F(VarianceMax)}:cast={Cast.Name()}";

    /// <inheritdoc />
    public Image Apply(Image image, Rng rng)
    {
        double m = rng.NextDouble(MeanMin, MeanMax);
        double sd = Math.Sqrt(rng.NextDouble(0, VarianceMax));
        var src = image.Pixels;
        var dst = new byte[src.Length];
        var noise = ArrayPool<double>.Shared.Rent(src.Length);
        try
        {
            rng.FillGaussian(noise.AsSpan(0, src.Length));
            if (Cast == NoiseCast.Uint8)
                for (int i = 0; i < src.Length; i++) { double x = src[i]; dst[i] = NoiseCasts.Uint8(x + x * (m + sd * noise[i])); }
            else
                for (int i = 0; i < src.Length; i++) { double x = src[i]; dst[i] = PixelOps.RoundClip(x + x * (m + sd * noise[i])); }
        }
        finally { ArrayPool<double>.Shared.Return(noise); }
        return new Image(image.Width, image.Height, image.Channels, dst);
    }

    internal static MultiplicativeNoise From(OperatorParameters p)
    {
        var op = new MultiplicativeNoise(p.Double("mean-min", -0.5), p.Double("mean-max", 0.5), p.Double("variance-max", 0.05), NoiseCasts.Parse(p, "multiplicative-noise"));
        p.EnsureAllUsed(["mean-min", "mean-max", "variance-max", "cast"]);
        return op;
    }
}
