using System.Globalization;
using Dflare.Onnx;

namespace Dflare.Compression;

/// <summary>
/// <c>bits:K</c>: fake quantization. Each float weighted layer's weights are rounded to a symmetric per-output-channel
/// grid of K bits (2..16; at most 2^K − 1 distinct values per channel) and stored back as float, so the model runs
/// unchanged but computes with K-bit weights. <see cref="CompressionContext.BitsPerLayer"/> sets K per layer
/// (QUANOS hybrid precision).
/// </summary>
public sealed class FakeQuantBits : ICompressionMethod
{
    /// <summary>Creates the method for <paramref name="bits"/> bits (2..16).</summary>
    /// <exception cref="DflareException">The bit width is outside 2..16.</exception>
    public FakeQuantBits(int bits) => Bits = CompressionMethod.CheckBits(bits, "bits:K");

    /// <summary>The default bit width.</summary>
    public int Bits { get; }

    /// <inheritdoc />
    public string Name => $"bits:{Bits.ToString(CultureInfo.InvariantCulture)}";

    /// <inheritdoc />
    public string Description => $"weights fake-quantized to {Bits} bits (symmetric, per channel), stored as float";

    /// <inheritdoc />
    public CompressionOutcome Apply(OnnxModel model, CompressionContext context)
    {
        var layers = WeightEditing.FloatLayers(model, Name);
        var perLayer = context.BitsPerLayer ?? new Dictionary<string, int>();
        var names = layers.Select(r => r.Layer.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, k) in perLayer)
        {
            if (!names.Contains(name))
                throw new SettingException($"BitsPerLayer names '{name}', which is not a float weighted layer of model '{model.Name}'; its layers are: {string.Join(", ", names)}.", CompressionMethod.BitsPerLayer);
            CompressionMethod.CheckBits(k, $"BitsPerLayer {name}={k}");
        }
        var notes = new List<string>();
        foreach (var r in layers)
        {
            var l = r.Layer;
            int k = perLayer.TryGetValue(l.Name, out var pk) ? pk : Bits;
            var w = WeightEditing.Read(model, l);
            var (stride, channels) = WeightedLayers.ChannelStride(l.WeightShape, l.OutputChannelAxis);
            WeightEditing.Write(model, l, QuantMath.FakeQuantize(w, stride, channels, k));
            if (perLayer.Count > 0) notes.Add($"{l.Name}: {k} bits");
        }
        return new CompressionOutcome(layers.Select(r => r.Layer.Name).ToList(), notes);
    }
}
