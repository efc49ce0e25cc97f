using Dflare.Onnx;

namespace Dflare.Compression;

/// <summary>
/// <c>int8-static</c>: static post-training quantization of weights and activations in QDQ format. Weights are INT8
/// with symmetric per-channel scales (as <see cref="Int8WeightOnly"/>); biases INT32 with scale
/// <c>s_input · s_weight</c>; the input of every weighted layer and its output (unless it is a graph output) go through
/// a QuantizeLinear/DequantizeLinear pair (UINT8, asymmetric) whose scale and zero point come from the min/max of that
/// tensor over the calibration images. ONNX Runtime fuses such groups into integer kernels (QLinearConv and the like).
/// </summary>
public sealed class Int8Static : ICompressionMethod
{
    /// <inheritdoc />
    public string Name => "int8-static";

    /// <inheritdoc />
    public string Description => "static int8: int8 weights, uint8 activations calibrated on seed images (QDQ)";

    /// <inheritdoc />
    public CompressionOutcome Apply(OnnxModel model, CompressionContext context)
    {
        var source = context.Calibration
            ?? throw new SettingException("Method int8-static needs calibration images: set Calibration (and CalibrationLimit).", nameof(context.Calibration), nameof(context.CalibrationLimit));
        if (context.CalibrationLimit <= 0)
            throw new DflareException($"Method int8-static needs at least one calibration image (limit {context.CalibrationLimit}).");
        var layers = WeightEditing.FloatLayers(model, Name);
        var inits = new HashSet<string>(model.Graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        var layerOutputs = new HashSet<string>(StringComparer.Ordinal);
        var tensors = new List<string>();
        foreach (var r in layers)
        {
            if (!inits.Contains(r.Layer.InputTensor) && !tensors.Contains(r.Layer.InputTensor)) tensors.Add(r.Layer.InputTensor);
            if (!model.IsGraphOutput(r.Layer.OutputTensor) && layerOutputs.Add(r.Layer.OutputTensor) && !tensors.Contains(r.Layer.OutputTensor))
                tensors.Add(r.Layer.OutputTensor);
        }

        var (ranges, images) = Calibrate(model, tensors, source, context);
        var notes = new List<string> { $"calibrated {tensors.Count} activation tensors (min/max) on {images} images from {source.Path}" };

        bool perChannel = WeightEditing.PrepareOpsetForInt8(model, notes);
        var editor = new GraphEditor(model);
        editor.AllowFreeInitializers();
        var qparams = ranges.ToDictionary(kv => kv.Key, kv => QuantMath.Uint8Params(kv.Value.Min, kv.Value.Max), StringComparer.Ordinal);

        var done = new Dictionary<string, (string, float[])>(StringComparer.Ordinal);
        foreach (var r in layers)
        {
            var weightScales = WeightEditing.QuantizeWeightInt8(editor, r, perChannel, done);
            if (qparams.TryGetValue(r.Layer.InputTensor, out var x)) QuantizeBias(editor, r, x.Scale, weightScales);
        }

        var layerNodes = layers.Select(r => r.Node).ToHashSet();
        foreach (var t in tensors)
        {
            var (scale, zp) = qparams[t];
            var s = editor.Unique(t + "_scale");
            var z = editor.Unique(t + "_zero_point");
            var q = editor.Unique(t + "_quantized");
            var dq = editor.Unique(t + "_dequantized");
            editor.AddInitializer(OnnxTensors.FromFloats(s, [], [scale]));
            editor.AddInitializer(OnnxTensors.FromUInt8(z, [], [zp]));
            var qNode = GraphEditor.Node("QuantizeLinear", editor.Unique(t + "/QuantizeLinear"), [t, s, z], [q]);
            var dqNode = GraphEditor.Node("DequantizeLinear", editor.Unique(t + "/DequantizeLinear"), [q, s, z], [dq]);
            editor.InsertAfter(model.Producer(t), qNode, dqNode);
            if (layerOutputs.Contains(t))
                editor.RewireConsumers(t, dq, qNode); // a layer's output: every reader sees the quantized tensor
            else
                foreach (var n in layerNodes) if (n.Input[0] == t) n.Input[0] = dq; // a layer's input only
        }
        return new CompressionOutcome(layers.Select(r => r.Layer.Name).ToList(), notes);
    }

    private static void QuantizeBias(GraphEditor editor, LayerRef r, float inputScale, float[] weightScales)
    {
        var model = editor.Model;
        var l = r.Layer;
        if (l.BiasSource is not { } b || model.FindInitializer(b) is not { DataType: 1 } bias) return;
        int at = r.Node.Input.IndexOf(b);
        if (at < 0) return;
        var values = OnnxTensors.ToFloats(bias);
        bool perChannel = weightScales.Length > 1;
        if (perChannel && (bias.Dims.Count != 1 || values.Length != weightScales.Length)) return; // keep an unusual bias float
        var scales = weightScales.Select(s => inputScale * s).ToArray();
        var codes = new int[values.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            var s = scales[perChannel ? i : 0];
            codes[i] = (int)Math.Clamp(Math.Round(values[i] / (double)s, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        }
        var qn = editor.Unique(b + "_int32");
        var sn = editor.Unique(b + "_scale");
        var dq = editor.Unique(b + "_dequantized");
        editor.AddInitializer(OnnxTensors.FromInt32(qn, bias.Dims, codes));
        editor.AddInitializer(OnnxTensors.FromFloats(sn, perChannel ? [scales.Length] : [], scales));
        var node = perChannel
            ? GraphEditor.Node("DequantizeLinear", editor.Unique(l.Name + "/bias/DequantizeLinear"), [qn, sn], [dq], GraphEditor.IntAttribute("axis", 0))
            : GraphEditor.Node("DequantizeLinear", editor.Unique(l.Name + "/bias/DequantizeLinear"), [qn, sn], [dq]);
        editor.InsertBefore(r.Node, node);
        r.Node.Input[at] = dq;
        editor.RemoveInitializerIfUnused(b);
    }

    private static (Dictionary<string, (float Min, float Max)> Ranges, int Images) Calibrate(
        OnnxModel model, IReadOnlyList<string> tensors, Datasets.SeedSource source, CompressionContext context)
    {
        var ranges = tensors.ToDictionary(t => t, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity), StringComparer.Ordinal);
        using var reader = ActivationReader.Create(model, context.ModelOptions, tensors);
        int seen = 0;
        foreach (var chunk in source.Enumerate(0, context.CalibrationLimit).Chunk(64))
        {
            IReadOnlyDictionary<string, Models.TensorRows> acts;
            try { acts = reader.Read(chunk.Select(s => s.Image).ToList()); }
            catch (DflareException e)
            {
                throw new DflareException($"Calibration images from '{source.Path}' do not fit model '{model.Name}': {e.Message}", e);
            }
            foreach (var t in tensors)
            {
                var (lo, hi) = ranges[t];
                foreach (var row in acts[t].Rows)
                    foreach (var v in row)
                    {
                        if (v < lo) lo = v;
                        if (v > hi) hi = v;
                    }
                ranges[t] = (lo, hi);
            }
            seen += chunk.Length;
        }
        if (seen == 0) throw new DflareException($"Calibration source '{source.Path}' gave no images.");
        return (ranges, seen);
    }
}
