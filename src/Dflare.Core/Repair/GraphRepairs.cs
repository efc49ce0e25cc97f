using Dflare.Localization;
using Dflare.Onnx;
using Dflare.Onnx.Proto;

namespace Dflare.Repair;

/// <summary>
/// The ONNX graph edits behind <c>dflare repair</c>: restoring one layer to float with the original's weights,
/// adding a per-channel correction to a layer's bias, and replacing the classification head by a float Gemm. Every
/// edit works on the compressed model in place and removes the nodes and initializers it leaves unused.
/// </summary>
public static class GraphRepairs
{
    /// <summary>
    /// Restores a matched weighted layer to float: the original's weights and bias replace the compressed ones
    /// (DequantizeLinear / Cast chains, pruned or fake-quantized values). In QDQ form the layer also reads its float
    /// input and its readers get its float output (its Q/DQ pairs are bypassed, as ORT's <c>nodes_to_exclude</c>
    /// leaves a node float); a QOperator node (QLinearConv, QLinearMatMul) becomes DequantizeLinear → float op (→ Relu
    /// when it was fused) → QuantizeLinear with the same output scale, so its neighbours are unchanged.
    /// </summary>
    /// <returns>What was done, in words.</returns>
    /// <exception cref="DflareException">The match has no layers, or the weights do not fit.</exception>
    public static string RestoreLayer(OnnxModel compressed, OnnxModel original, MatchedTensor m)
    {
        var (oL, cL) = (m.OriginalLayer ?? throw new DflareException($"'{m.Name}' is not a weighted layer."), m.CompressedLayer!);
        var cNode = NodeWriting(compressed, cL.OutputTensor);
        var oNode = NodeWriting(original, oL.OutputTensor);
        var editor = new GraphEditor(compressed);
        editor.AllowFreeInitializers();
        var w = OnnxTensors.ToFloats(WeightedLayers.StoredWeight(original, oL));
        float[]? bias = oL.BiasSource is { } bs && original.FindInitializer(bs) is { } bt ? OnnxTensors.ToFloats(bt) : null;
        if (cNode.OpType is "Conv" or "Gemm" or "MatMul")
        {
            if (cL.WeightCount != oL.WeightCount)
                throw new DflareException($"Layer '{m.Name}': the compressed weight has {cL.WeightCount} values, the original's {oL.WeightCount}.");
            var wName = editor.Unique(oL.WeightSource + "_restored");
            if (cNode.OpType == "MatMul" && oNode.OpType == "Gemm")
            {
                // A Gemm split into MatMul + bias Add (QLinearMatMul + QLinearAdd unquantized by activation fallback):
                // the weight as K×N, and the bias into the Add that carries the Gemm's output name.
                var (kn, k, n) = AsKxN(oL, oNode, w);
                editor.AddInitializer(OnnxTensors.FromFloats(wName, [k, n], kn));
                if (bias is not null && m.CompressedTensor != cNode.Output[0] && compressed.Producer(m.CompressedTensor) is { OpType: "Add" } add
                    && ConstantInput(compressed, add) is { } bi)
                {
                    float beta = oNode.Attribute.FirstOrDefault(a => a.Name == "beta") is { } be ? be.F : 1f;
                    var bName = editor.Unique(oL.BiasSource + "_restored");
                    editor.AddInitializer(OnnxTensors.FromFloats(bName, [bias.Length], bias.Select(v => v * beta).ToArray()));
                    add.Input[bi] = bName;
                }
                else bias = null;
            }
            else editor.AddInitializer(OnnxTensors.FromFloats(wName, cL.WeightShape, w));
            cNode.Input[cL.WeightInputIndex] = wName;
            if (bias is not null && cNode.OpType is "Conv" or "Gemm")
            {
                var bName = editor.Unique(oL.BiasSource + "_restored");
                editor.AddInitializer(OnnxTensors.FromFloats(bName, [bias.Length], bias));
                if (cNode.Input.Count > 2) cNode.Input[2] = bName;
                else cNode.Input.Add(bName); // Conv and Gemm always have their first two inputs
            }
            if (m.Form == MatchForm.Qdq)
            {
                if (compressed.Producer(cNode.Input[0]) is { OpType: "DequantizeLinear" } dq && compressed.Producer(dq.Input[0]) is { OpType: "QuantizeLinear" } q)
                    cNode.Input[0] = q.Input[0];
                if (m.CompressedTensor != cNode.Output[0]) editor.RewireConsumers(m.CompressedTensor, cNode.Output[0]);
            }
            RemoveDead(editor);
            return $"{m.Name}: float weights{(bias is null ? "" : " and bias")} of the original restored" + (m.Form == MatchForm.Qdq ? ", its input and output Q/DQ bypassed" : "");
        }
        if (cNode.OpType is not ("QLinearConv" or "QLinearMatMul"))
            throw new DflareException($"Layer '{m.Name}' is a {cNode.OpType}; float fallback handles Conv, Gemm, MatMul, QLinearConv and QLinearMatMul.");
        var xf = editor.Unique(cNode.Output[0] + "_x_float");
        var yf = editor.Unique(cNode.Output[0] + "_float");
        var nodes = new List<NodeProto> { GraphEditor.Node("DequantizeLinear", editor.Unique(cNode.Name + "_fallback_in"), [cNode.Input[0], cNode.Input[1], cNode.Input[2]], [xf]) };
        if (cNode.OpType == "QLinearConv")
        {
            var wName = editor.Unique(oL.WeightSource + "_restored");
            editor.AddInitializer(OnnxTensors.FromFloats(wName, oL.WeightShape, w));
            var inputs = new List<string> { xf, wName };
            if (bias is not null)
            {
                var bName = editor.Unique(oL.BiasSource + "_restored");
                editor.AddInitializer(OnnxTensors.FromFloats(bName, [bias.Length], bias));
                inputs.Add(bName);
            }
            var conv = GraphEditor.Node("Conv", editor.Unique(cNode.Name + "_fallback"), inputs, [yf]);
            conv.Attribute.AddRange(oNode.Attribute.Select(a => a.Clone()));
            nodes.Add(conv);
        }
        else
        {
            var (kn, k, n) = AsKxN(oL, oNode, w);
            var wName = editor.Unique(oL.WeightSource + "_restored_KxN");
            editor.AddInitializer(OnnxTensors.FromFloats(wName, [k, n], kn));
            nodes.Add(GraphEditor.Node("MatMul", editor.Unique(cNode.Name + "_fallback"), [xf, wName], [yf]));
        }
        var y = yf;
        if (m.ActivationFused)
        {
            y = editor.Unique(cNode.Output[0] + "_relu");
            nodes.Add(GraphEditor.Node("Relu", editor.Unique(cNode.Name + "_fallback_relu"), [yf], [y]));
        }
        nodes.Add(GraphEditor.Node("QuantizeLinear", editor.Unique(cNode.Name + "_fallback_out"), [y, cNode.Input[6], cNode.Input[7]], [cNode.Output[0]]));
        editor.InsertBefore(cNode, nodes.ToArray());
        compressed.Graph.Node.Remove(cNode);
        RemoveDead(editor);
        return $"{m.Name}: {cNode.OpType} replaced by DequantizeLinear → float {(cNode.OpType == "QLinearConv" ? "Conv" : "MatMul")} with the original's weights{(m.ActivationFused ? " → Relu" : "")} → QuantizeLinear";
    }

    /// <summary>The input of <paramref name="node"/> that is constant (an initializer, or a DequantizeLinear / Cast of one), or null.</summary>
    private static int? ConstantInput(OnnxModel model, NodeProto node)
    {
        for (int i = 0; i < node.Input.Count; i++)
        {
            var x = node.Input[i];
            if (model.FindInitializer(x) is not null) return i;
            if (model.Producer(x) is { OpType: "DequantizeLinear" or "Cast" } p && model.FindInitializer(p.Input[0]) is not null) return i;
        }
        return null;
    }

    /// <summary>The original layer's weight as a K×N matrix (row-major) for <c>x · W</c>: Gemm's transB and alpha applied.</summary>
    internal static (float[] W, long K, long N) AsKxN(WeightedLayer layer, NodeProto node, float[] w)
    {
        if (layer.WeightShape.Length != 2) throw new DflareException($"Layer '{layer.Name}' has a weight of shape {OnnxTensors.FormatShape(layer.WeightShape)}; a 2-D matrix was expected.");
        long r = layer.WeightShape[0], c = layer.WeightShape[1];
        bool transB = node.OpType == "Gemm" && node.Attribute.FirstOrDefault(a => a.Name == "transB") is { I: not 0 };
        float alpha = node.OpType == "Gemm" && node.Attribute.FirstOrDefault(a => a.Name == "alpha") is { } al ? al.F : 1f;
        if (node.OpType == "Gemm" && node.Attribute.FirstOrDefault(a => a.Name == "transA") is { I: not 0 })
            throw new DflareException($"Layer '{layer.Name}' is a Gemm with transA; not supported.");
        if (!transB) return (w.Select(v => v * alpha).ToArray(), r, c);
        var t = new float[w.Length];
        for (long i = 0; i < r; i++) for (long j = 0; j < c; j++) t[j * r + i] = w[i * c + j] * alpha;
        return (t, c, r);
    }

    /// <summary>
    /// Adds <paramref name="delta"/> (one value per output channel) to a layer's bias: a float bias directly; an INT32
    /// bias behind DequantizeLinear (QDQ) or a QLinearConv's INT32 bias as codes at the bias scale (rounded), so integer
    /// kernels stay integer. A layer without a bias gets one (Conv, Gemm) or an Add after it (MatMul).
    /// </summary>
    /// <returns>What was done; null when the bias cannot be changed (e.g. a QLinearMatMul, whose bias lives in a following QLinearAdd).</returns>
    public static string? AddToBias(OnnxModel compressed, MatchedTensor m, double[] delta)
    {
        var what = AddToBiasInPlace(compressed, m, delta);
        if (what is not null) RemoveDead(new GraphEditor(compressed));
        return what;
    }

    private static string? AddToBiasInPlace(OnnxModel compressed, MatchedTensor m, double[] delta)
    {
        var cL = m.CompressedLayer ?? throw new DflareException($"'{m.Name}' is not a weighted layer.");
        var node = NodeWriting(compressed, cL.OutputTensor);
        var editor = new GraphEditor(compressed);
        editor.AllowFreeInitializers();
        var inits = compressed.InitializersByName();
        int c = delta.Length;
        string Summary(string how) => $"{m.Name}: bias {how}, mean |correction| {delta.Average(Math.Abs):G3}";
        switch (node.OpType)
        {
            case "Conv" or "Gemm":
            {
                if (node.Input.Count > 2 && node.Input[2].Length > 0)
                {
                    var b = node.Input[2];
                    if (inits.TryGetValue(b, out var bt) && bt.DataType == 1 && OnnxTensors.ElementCount(bt) == c)
                    {
                        var v = OnnxTensors.ToFloats(bt);
                        var name = editor.Unique(b + "_corrected");
                        editor.AddInitializer(OnnxTensors.FromFloats(name, bt.Dims, v.Select((x, i) => (float)(x + delta[i])).ToArray()));
                        node.Input[2] = name;
                        return Summary("corrected (float)");
                    }
                    if (compressed.Producer(b) is { OpType: "DequantizeLinear" } dq && inits.TryGetValue(dq.Input[0], out var q) && q.DataType == 6
                        && OnnxTensors.ElementCount(q) == c && inits.TryGetValue(dq.Input[1], out var st))
                    {
                        var codes = OnnxTensors.ToInt64s(q);
                        var scales = OnnxTensors.ToFloats(st);
                        var name = editor.Unique(dq.Input[0] + "_corrected");
                        editor.AddInitializer(OnnxTensors.FromInt32(name, q.Dims, Shift(codes, delta, i => scales[scales.Length == 1 ? 0 : i])));
                        var dqName = editor.Unique(b + "_corrected");
                        var copy = dq.Clone();
                        copy.Name = editor.Unique(dq.Name + "_corrected");
                        copy.Input[0] = name;
                        copy.Output[0] = dqName;
                        editor.InsertBefore(node, copy);
                        node.Input[2] = dqName;
                        return Summary("corrected (INT32 codes at the bias scale)");
                    }
                    return null;
                }
                var added = editor.Unique(cL.Name + "_bias_correction");
                editor.AddInitializer(OnnxTensors.FromFloats(added, [c], delta.Select(x => (float)x).ToArray()));
                if (node.Input.Count > 2) node.Input[2] = added; else node.Input.Add(added);
                return Summary("added");
            }
            case "MatMul":
            {
                var added = editor.Unique(cL.Name + "_bias_correction");
                editor.AddInitializer(OnnxTensors.FromFloats(added, [c], delta.Select(x => (float)x).ToArray()));
                var raw = editor.Unique(node.Output[0] + "_uncorrected");
                var output = node.Output[0];
                node.Output[0] = raw;
                editor.InsertAfter(node, GraphEditor.Node("Add", editor.Unique(cL.Name + "_bias_correction_add"), [raw, added], [output]));
                return Summary("added (Add after the MatMul)");
            }
            case "QLinearConv":
            {
                if (!inits.TryGetValue(node.Input[1], out var xs) || !inits.TryGetValue(node.Input[4], out var ws)) return null;
                float xScale = OnnxTensors.ToFloats(xs)[0];
                var wScales = OnnxTensors.ToFloats(ws);
                long[] codes = node.Input.Count > 8 && node.Input[8].Length > 0 && inits.TryGetValue(node.Input[8], out var bq) ? OnnxTensors.ToInt64s(bq) : new long[c];
                if (codes.Length != c) return null;
                var name = editor.Unique((node.Input.Count > 8 ? node.Input[8] : cL.Name + "_bias") + "_corrected");
                editor.AddInitializer(OnnxTensors.FromInt32(name, [c], Shift(codes, delta, i => xScale * wScales[wScales.Length == 1 ? 0 : i])));
                if (node.Input.Count > 8) node.Input[8] = name; else node.Input.Add(name);
                return Summary("corrected (INT32 codes at scale x_scale * w_scale)");
            }
            default:
                return null;
        }
    }

    private static int[] Shift(long[] codes, double[] delta, Func<int, float> scale) =>
        codes.Select((q, i) => (int)Math.Clamp(q + Math.Round(delta[i] / scale(i), MidpointRounding.ToEven), int.MinValue, int.MaxValue)).ToArray();

    /// <summary>
    /// Replaces the classification head by a float Gemm <c>y = x · W + b</c> (W is K×N) reading
    /// <paramref name="features"/> and writing <paramref name="output"/>; the nodes that computed the old head (and
    /// anything else left unused) are removed. With <paramref name="outputGrid"/> (a scale and zero point) the Gemm's
    /// result goes through QuantizeLinear → DequantizeLinear on that grid before <paramref name="output"/>.
    /// </summary>
    public static void ReplaceHead(OnnxModel compressed, string features, string output, float[] w, float[] b, long k, long n, string name,
        (string Scale, string ZeroPoint)? outputGrid = null)
    {
        var editor = new GraphEditor(compressed);
        editor.AllowFreeInitializers();
        var producer = compressed.Producer(output) ?? throw new DflareException($"Model '{compressed.Name}' has no node writing '{output}'.");
        for (int i = 0; i < producer.Output.Count; i++) if (producer.Output[i] == output) producer.Output[i] = editor.Unique(output + "_replaced");
        var wName = editor.Unique(name + "_refit_W");
        var bName = editor.Unique(name + "_refit_b");
        editor.AddInitializer(OnnxTensors.FromFloats(wName, [k, n], w));
        editor.AddInitializer(OnnxTensors.FromFloats(bName, [n], b));
        if (outputGrid is { } grid)
        {
            string[] qp = grid.ZeroPoint.Length > 0 ? [grid.Scale, grid.ZeroPoint] : [grid.Scale];
            var y = editor.Unique(name + "_refit_float");
            var yq = editor.Unique(name + "_refit_quantized");
            editor.InsertAfter(producer,
                GraphEditor.Node("Gemm", editor.Unique(name + "_refit"), [features, wName, bName], [y]),
                GraphEditor.Node("QuantizeLinear", editor.Unique(name + "_refit_Q"), [y, .. qp], [yq]),
                GraphEditor.Node("DequantizeLinear", editor.Unique(name + "_refit_DQ"), [yq, .. qp], [output]));
        }
        else editor.InsertAfter(producer, GraphEditor.Node("Gemm", editor.Unique(name + "_refit"), [features, wName, bName], [output]));
        RemoveDead(editor);
    }

    /// <summary>
    /// Adds a DequantizeLinear of <paramref name="quantize"/>'s output with its scale and zero point (after it) and
    /// returns the float tensor it writes: the values a quantized operator reading that output computes with.
    /// </summary>
    public static string AddDequantize(OnnxModel model, NodeProto quantize, string name)
    {
        var editor = new GraphEditor(model);
        var output = editor.Unique(quantize.Input[0] + "_dequantized");
        editor.InsertAfter(quantize, GraphEditor.Node("DequantizeLinear", editor.Unique(name + "_input_DQ"), [quantize.Output[0], .. quantize.Input.Skip(1)], [output]));
        return output;
    }

    /// <summary>The node whose first output is <paramref name="tensor"/>.</summary>
    internal static NodeProto NodeWriting(OnnxModel model, string tensor) =>
        model.Graph.Node.FirstOrDefault(n => n.Output.Count > 0 && n.Output[0] == tensor)
        ?? throw new DflareException($"Model '{model.Name}' has no node writing '{tensor}'.");

    /// <summary>Removes nodes none of whose outputs is read (repeatedly) and initializers nothing reads.</summary>
    internal static void RemoveDead(GraphEditor editor)
    {
        var g = editor.Model.Graph;
        bool changed = true;
        while (changed)
        {
            changed = false;
            var used = new HashSet<string>(g.Output.Select(o => o.Name), StringComparer.Ordinal);
            foreach (var n in g.Node) foreach (var i in n.Input) used.Add(i);
            for (int i = g.Node.Count - 1; i >= 0; i--)
                if (g.Node[i].Output.All(o => o.Length == 0 || !used.Contains(o))) { g.Node.RemoveAt(i); changed = true; }
        }
        foreach (var name in g.Initializer.Select(t => t.Name).ToList()) editor.RemoveInitializerIfUnused(name);
        var live = new HashSet<string>(g.Node.SelectMany(n => n.Output), StringComparer.Ordinal);
        for (int i = g.ValueInfo.Count - 1; i >= 0; i--) if (!live.Contains(g.ValueInfo[i].Name)) g.ValueInfo.RemoveAt(i);
    }
}
