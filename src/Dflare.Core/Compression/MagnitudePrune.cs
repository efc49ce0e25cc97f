using System.Globalization;
using Dflare.Onnx;

namespace Dflare.Compression;

/// <summary>
/// <c>prune:F</c>: unstructured magnitude pruning. In each float weighted layer the round(F · n) weights of smallest
/// magnitude are set to zero (biases are kept); weights stay float and dense, so the file size does not change.
/// </summary>
public sealed class MagnitudePrune : ICompressionMethod
{
    /// <summary>Creates the method for a fraction in (0,1).</summary>
    /// <exception cref="DflareException">The fraction is not in (0,1).</exception>
    public MagnitudePrune(double fraction)
    {
        if (!(fraction > 0 && fraction < 1))
            throw new DflareException($"prune:F needs 0 < F < 1 (got {fraction.ToString(CultureInfo.InvariantCulture)}).");
        Fraction = fraction;
    }

    /// <summary>The fraction of each layer's weights set to zero.</summary>
    public double Fraction { get; }

    /// <inheritdoc />
    public string Name => $"prune:{Fraction.ToString(CultureInfo.InvariantCulture)}";

    /// <inheritdoc />
    public string Description => $"{Fraction * 100:F0} % of each weighted layer's weights (smallest magnitudes) set to zero";

    /// <inheritdoc />
    public CompressionOutcome Apply(OnnxModel model, CompressionContext context)
    {
        var layers = WeightEditing.FloatLayers(model, Name);
        foreach (var r in layers)
            WeightEditing.Write(model, r.Layer, QuantMath.Prune(WeightEditing.Read(model, r.Layer), Fraction));
        return new CompressionOutcome(layers.Select(r => r.Layer.Name).ToList(), []);
    }
}
