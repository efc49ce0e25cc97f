using Dflare.Compression;
using Dflare.Onnx;

namespace Dflare.Quanos.Sensitivity;

/// <summary>
/// Effective weight storage of a (hybrid-precision) model: <c>Σ over weighted layers of
/// (weights · k_l + output channels · 32 + biases · 32)</c> bits, where k_l is the layer's weight bit width and the
/// 32-bit terms are its per-channel scales and its float biases; a float layer counts <c>(weights + biases) · 32</c>.
/// </summary>
/// <param name="Bits">The storage in bits.</param>
/// <remarks>
/// Fake-quantized models (<c>bits:K</c>) keep their weights as float in the file, so their file is float-sized: this is
/// the size the weights would take packed at their bit widths. Constants outside weighted layers are not counted.
/// </remarks>
public readonly record struct WeightSize(long Bits)
{
    /// <summary>The storage in bytes (bits / 8).</summary>
    public double Bytes => Bits / 8.0;
}

/// <summary>
/// Builds hybrid-precision models: each float weighted layer's weights fake-quantized to its own bit width
/// (symmetric, per output channel) through <see cref="FakeQuantBits"/> and <c>bits-per-layer</c>, and measures their
/// effective weight size (<see cref="WeightSize"/>).
/// </summary>
public static class HybridPrecision
{
    /// <summary>Why no hybrid can be built from <paramref name="model"/> (a weighted layer without FLOAT weights), or null when one can.</summary>
    public static string? WhyNot(OnnxModel model)
    {
        var layers = AnsAnalyzer.LayersOf(model);
        var bad = layers.FirstOrDefault(l => l.Storage is not (WeightStorage.Initializer or WeightStorage.Reshape or WeightStorage.Constant) || l.WeightType != "FLOAT");
        return bad is null ? null
            : $"layer '{bad.Name}' ({bad.OpType}) stores {bad.WeightType} weights ({bad.Storage}); bits-per-layer fake quantization needs float weights, so give QUANOS the float original";
    }

    /// <summary>
    /// The hybrid model: every weighted layer fake-quantized to its bits, made with <see cref="Compressor"/> and
    /// <see cref="FakeQuantBits"/> with <c>bits-per-layer</c>, so it is checked to load and run in ONNX Runtime.
    /// </summary>
    /// <param name="model">The float model (not changed).</param>
    /// <param name="bits">Bit width (2..16) of every weighted layer, by stable name.</param>
    /// <exception cref="DflareException">A layer is missing from <paramref name="bits"/> or unknown, a width is outside 2..16, or the model has non-float weights.</exception>
    public static OnnxModel Build(OnnxModel model, IReadOnlyDictionary<string, int> bits)
    {
        ArgumentNullException.ThrowIfNull(bits);
        if (WhyNot(model) is { } why) throw new DflareException($"Model '{model.Name}': no hybrid-precision model can be built: {why}.");
        var missing = AnsAnalyzer.LayersOf(model).Select(l => l.Name).Where(n => !bits.ContainsKey(n)).ToList();
        if (missing.Count > 0) throw new DflareException($"Model '{model.Name}': no bit width given for layer(s) {string.Join(", ", missing)}.");
        var (m, _) = Compressor.Compress(model, new FakeQuantBits(bits.Values.DefaultIfEmpty(8).Max()), new CompressionContext { BitsPerLayer = bits });
        return m;
    }

    /// <summary>Every weighted layer fake-quantized to <paramref name="bits"/> bits (the model named by <c>bits:K</c>).</summary>
    /// <exception cref="DflareException">The width is outside 2..16 or the model has non-float weights.</exception>
    public static OnnxModel Uniform(OnnxModel model, int bits) =>
        Build(model, AnsAnalyzer.LayersOf(model).ToDictionary(l => l.Name, _ => CompressionMethod.CheckBits(bits, "uniform bits"), StringComparer.Ordinal));

    /// <summary>
    /// A copy with only the layers in <paramref name="bits"/> fake-quantized (same arithmetic as <see cref="FakeQuantBits"/>),
    /// every other layer left float; not checked in ONNX Runtime (used to measure candidate assignments quickly).
    /// </summary>
    /// <exception cref="DflareException">A name is not a float weighted layer, or a width is outside 2..16.</exception>
    public static OnnxModel Partial(OnnxModel model, IReadOnlyDictionary<string, int> bits)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(bits);
        var copy = model.Clone();
        var layers = WeightEditing.FloatLayers(copy, "bits-per-layer").Select(r => r.Layer).ToDictionary(l => l.Name, StringComparer.Ordinal);
        foreach (var (name, k) in bits)
        {
            if (!layers.TryGetValue(name, out var l))
                throw new DflareException($"'{name}' is not a float weighted layer of model '{model.Name}'; its layers are: {string.Join(", ", layers.Keys)}.");
            CompressionMethod.CheckBits(k, $"bits for {name}");
            var w = WeightEditing.Read(copy, l);
            var (stride, channels) = WeightedLayers.ChannelStride(l.WeightShape, l.OutputChannelAxis);
            WeightEditing.Write(copy, l, QuantMath.FakeQuantize(w, stride, channels, k));
        }
        return copy;
    }

    /// <summary>The effective weight size with <paramref name="bits"/> per layer (null, or a layer absent from it: float).</summary>
    public static WeightSize Size(IReadOnlyList<WeightedLayer> layers, IReadOnlyDictionary<string, int>? bits)
    {
        ArgumentNullException.ThrowIfNull(layers);
        long total = 0;
        foreach (var l in layers)
        {
            if (bits is not null && bits.TryGetValue(l.Name, out var k))
                total += l.WeightCount * k + l.OutputChannels * 32 + l.BiasCount * 32;
            else
                total += (l.WeightCount + l.BiasCount) * 32;
        }
        return new WeightSize(total);
    }

    /// <summary>Mean bit width over layers (each layer counts once; float layers count 32).</summary>
    public static double MeanBits(IReadOnlyList<WeightedLayer> layers, IReadOnlyDictionary<string, int>? bits) =>
        layers.Count == 0 ? 0 : layers.Average(l => (double)BitsOf(l, bits));

    /// <summary>Mean bit width per weight (layers weighted by their weight count; float layers count 32): equal values mean equal weight storage.</summary>
    public static double WeightedMeanBits(IReadOnlyList<WeightedLayer> layers, IReadOnlyDictionary<string, int>? bits)
    {
        long n = layers.Sum(l => l.WeightCount);
        return n == 0 ? 0 : layers.Sum(l => (double)l.WeightCount * BitsOf(l, bits)) / n;
    }

    private static int BitsOf(WeightedLayer l, IReadOnlyDictionary<string, int>? bits) =>
        bits is not null && bits.TryGetValue(l.Name, out var k) ? k : 32;
}
