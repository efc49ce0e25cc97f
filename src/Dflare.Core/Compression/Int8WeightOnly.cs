using Dflare.Onnx;

namespace Dflare.Compression;

/// <summary>
/// <c>int8</c>: weight-only quantization. Each float weighted layer's weight becomes an INT8 initializer with symmetric
/// per-output-channel scales (zero point 0, codes in −127..127) read through a DequantizeLinear node (QDQ format);
/// activations stay float. Needs opset 13 for per-channel scales: a lower opset is raised when every operator keeps
/// its meaning, otherwise one scale per tensor is used (opset 10+).
/// </summary>
public sealed class Int8WeightOnly : ICompressionMethod
{
    /// <inheritdoc />
    public string Name => "int8";

    /// <inheritdoc />
    public string Description => "weight-only int8, symmetric per-channel scales, DequantizeLinear on the weights (QDQ)";

    /// <inheritdoc />
    public CompressionOutcome Apply(OnnxModel model, CompressionContext context)
    {
        var layers = WeightEditing.FloatLayers(model, Name);
        var notes = new List<string>();
        bool perChannel = WeightEditing.PrepareOpsetForInt8(model, notes);
        var editor = new GraphEditor(model);
        editor.AllowFreeInitializers();
        var done = new Dictionary<string, (string, float[])>(StringComparer.Ordinal);
        foreach (var r in layers) WeightEditing.QuantizeWeightInt8(editor, r, perChannel, done);
        return new CompressionOutcome(layers.Select(r => r.Layer.Name).ToList(), notes);
    }
}
