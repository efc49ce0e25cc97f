using Dflare.Onnx;
using Dflare.Onnx.Proto;

namespace Dflare.Compression;

/// <summary>A float weighted layer being compressed, with its node (indices shift while the graph is edited).</summary>
internal sealed record LayerRef(WeightedLayer Layer, NodeProto Node);

/// <summary>Helpers shared by the compression methods: choosing the layers, reading and replacing their weights.</summary>
internal static class WeightEditing
{
    /// <summary>
    /// The float weighted layers of the model (weights from an initializer, a reshaped initializer or a Constant).
    /// </summary>
    /// <exception cref="DflareException">A candidate layer's weight is not FLOAT, or there is no float layer at all.</exception>
    public static IReadOnlyList<LayerRef> FloatLayers(OnnxModel model, string method)
    {
        var all = WeightedLayers.Find(model, readValues: false);
        var candidates = all.Where(l => l.Storage is WeightStorage.Initializer or WeightStorage.Reshape or WeightStorage.Constant).ToList();
        foreach (var l in candidates)
            if (l.WeightType != "FLOAT")
                throw new DflareException($"Model '{model.Name}': layer '{l.Name}' ({l.OpType}) has a {l.WeightType} weight '{l.WeightSource}'; " +
                    $"{method} compresses FLOAT weights only.");
        if (candidates.Count == 0)
        {
            if (all.Count == 0)
                throw new DflareException($"Model '{model.Name}' has no weighted layers (Conv, Gemm or MatMul with constant weights) to compress.");
            var kinds = string.Join(", ", all.Select(l => $"{l.WeightType} via {l.Storage}").Distinct());
            throw new DflareException($"Model '{model.Name}' has no float weighted layers to compress: its {all.Count} weighted layers are already compressed ({kinds}).");
        }
        return candidates.Select(l => new LayerRef(l, model.Graph.Node[l.NodeIndex])).ToList();
    }

    public static float[] Read(OnnxModel model, WeightedLayer layer) => OnnxTensors.ToFloats(WeightedLayers.StoredWeight(model, layer));

    /// <summary>Overwrites the layer's stored weights (same count and order) in place.</summary>
    public static void Write(OnnxModel model, WeightedLayer layer, float[] values) =>
        OnnxTensors.SetFloats(WeightedLayers.StoredWeight(model, layer), values);

    /// <summary>
    /// Makes the layer read its weight straight from a FLOAT initializer shaped as the layer sees it (folding a
    /// Reshape or a Constant into a new initializer); returns that initializer's name.
    /// </summary>
    public static string Materialize(GraphEditor editor, LayerRef r)
    {
        var model = editor.Model;
        var l = r.Layer;
        if (l.Storage == WeightStorage.Initializer) return l.WeightSource;
        var values = Read(model, l);
        var name = editor.Unique(l.WeightSource + "_" + string.Join("x", l.WeightShape));
        editor.AddInitializer(OnnxTensors.FromFloats(name, l.WeightShape, values));
        var producer = model.Producer(l.WeightInput);
        for (int i = 0; i < r.Node.Input.Count; i++) if (r.Node.Input[i] == l.WeightInput) r.Node.Input[i] = name;
        if (producer is not null && editor.RemoveNodeIfUnused(producer))
            foreach (var input in producer.Input) if (input.Length > 0) editor.RemoveInitializerIfUnused(input);
        return name;
    }

    /// <summary>
    /// Replaces the layer's FLOAT weight by an INT8 initializer with symmetric scales (per output channel when
    /// <paramref name="perChannel"/>, else one for the tensor) and a DequantizeLinear node; returns the scales.
    /// A weight shared by several layers is quantized once (<paramref name="done"/>).
    /// </summary>
    public static float[] QuantizeWeightInt8(GraphEditor editor, LayerRef r, bool perChannel, Dictionary<string, (string Output, float[] Scales)> done)
    {
        var model = editor.Model;
        var l = r.Layer;
        var init = Materialize(editor, r);
        if (done.TryGetValue(init, out var prior))
        {
            r.Node.Input[l.WeightInputIndex] = prior.Output;
            return prior.Scales;
        }
        var w = OnnxTensors.ToFloats(model.Initializer(init));
        var (stride, channels) = perChannel ? WeightedLayers.ChannelStride(l.WeightShape, l.OutputChannelAxis) : (1L, 1L);
        var (codes, scales) = QuantMath.QuantizeSymmetric(w, stride, channels, 8);
        var q = editor.Unique(init + "_int8");
        var s = editor.Unique(init + "_scale");
        var z = editor.Unique(init + "_zero_point");
        var dq = editor.Unique(init + "_dequantized");
        long[] paramDims = perChannel ? [channels] : [];
        editor.AddInitializer(OnnxTensors.FromInt8(q, l.WeightShape, codes.Select(c => (sbyte)c).ToArray()));
        editor.AddInitializer(OnnxTensors.FromFloats(s, paramDims, scales));
        editor.AddInitializer(OnnxTensors.FromInt8(z, paramDims, new sbyte[scales.Length]));
        var node = perChannel
            ? GraphEditor.Node("DequantizeLinear", editor.Unique(l.Name + "/weight/DequantizeLinear"), [q, s, z], [dq], GraphEditor.IntAttribute("axis", l.OutputChannelAxis))
            : GraphEditor.Node("DequantizeLinear", editor.Unique(l.Name + "/weight/DequantizeLinear"), [q, s, z], [dq]);
        editor.InsertBefore(FirstReader(model, init) ?? r.Node, node);
        editor.RewireConsumers(init, dq, node);
        editor.RemoveInitializerIfUnused(init);
        done[init] = (dq, scales);
        return scales;
    }

    /// <summary>The first node in graph order that reads <paramref name="tensor"/>.</summary>
    public static NodeProto? FirstReader(OnnxModel model, string tensor) => model.Graph.Node.FirstOrDefault(n => n.Input.Contains(tensor));

    /// <summary>
    /// Chooses how INT8 weights are stored: per-channel DequantizeLinear needs opset 13 (raised when safe), else
    /// per-tensor at opset 10 or more. Returns whether per-channel is used and adds a note on what was done.
    /// </summary>
    /// <exception cref="DflareException">The model's opset is below 10 and cannot be raised safely.</exception>
    public static bool PrepareOpsetForInt8(OnnxModel model, List<string> notes)
    {
        var v = model.OpsetVersion();
        if (v >= 13) return true;
        if (OpsetUpgrade.WhyNot(model, 13) is not { } why13)
        {
            OpsetUpgrade.Upgrade(model, 13);
            notes.Add($"default-domain opset raised from {v} to 13 for per-channel DequantizeLinear (every operator in the model keeps its meaning)");
            return true;
        }
        if (v >= 10 || OpsetUpgrade.WhyNot(model, 10) is null)
        {
            if (v < 10) OpsetUpgrade.Upgrade(model, 10);
            notes.Add($"per-tensor weight scales: opset {v} cannot be raised to 13 ({why13}), and per-channel DequantizeLinear needs 13" +
                (v < 10 ? "; opset raised to 10" : ""));
            return false;
        }
        throw new DflareException($"Model '{model.Name}' uses opset {v}; int8 needs QuantizeLinear/DequantizeLinear (opset 10 or more) and the opset cannot be raised safely: {OpsetUpgrade.WhyNot(model, 10)}.");
    }
}
