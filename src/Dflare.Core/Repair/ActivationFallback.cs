using Dflare.Onnx;
using Dflare.Onnx.Proto;

namespace Dflare.Repair;

/// <summary>
/// Activation fallback: the quantized model computes in float while its weights stay stored as integers. Every
/// QLinearConv / QLinearMatMul / QLinearAdd becomes DequantizeLinear of its inputs (the integer weights dequantized by
/// a DequantizeLinear node, per channel where they were) → float Conv / MatMul / Add → QuantizeLinear on its output
/// grid; then every QuantizeLinear → DequantizeLinear pair on the same grid (QDQ form, or made by the first step) is
/// replaced by a Clip to the grid's range: the rounding of the activation goes, its range (including a Relu expressed by
/// a zero point at the bottom of the range, and the saturation at the top) stays. With <c>dropRanges</c> the range goes
/// too: a pair whose range starts at 0 (a fused Relu) becomes a Relu, any other an Identity, so only the weights stay
/// integers (a weight-only int8 model computed in float).
/// </summary>
public static class ActivationFallback
{
    /// <summary>Applies activation fallback to <paramref name="compressed"/> in place.</summary>
    /// <param name="compressed">The quantized model, edited in place.</param>
    /// <param name="dropRanges">Also drop each activation's range (its saturation at the top and a negative bottom): a Relu where the range starts at 0, else nothing.</param>
    /// <returns>What changed, one line per kind of edit.</returns>
    /// <exception cref="DflareException">A quantization parameter is not an initializer, or the model has no quantized activation.</exception>
    public static IReadOnlyList<string> Apply(OnnxModel compressed, bool dropRanges = false)
    {
        var editor = new GraphEditor(compressed);
        editor.AllowFreeInitializers();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in compressed.Graph.Node.ToList())
        {
            if (node.OpType is not ("QLinearConv" or "QLinearMatMul" or "QLinearAdd")) continue;
            editor.InsertBefore(node, Unquantize(compressed, editor, node).ToArray());
            compressed.Graph.Node.Remove(node);
            counts[node.OpType] = counts.GetValueOrDefault(node.OpType) + 1;
        }
        int clips = 0, relus = 0;
        foreach (var q in compressed.Graph.Node.Where(n => n.OpType == "QuantizeLinear").ToList())
        {
            var readers = compressed.Consumers(q.Output[0]);
            if (readers.Count == 0 || compressed.Graph.Output.Any(o => o.Name == q.Output[0])) continue;
            if (!readers.All(r => r.Node.OpType == "DequantizeLinear" && r.Input == 0 && SameGrid(compressed, q, r.Node))) continue;
            var (lo, hi) = Range(compressed, q);
            if (dropRanges)
            {
                foreach (var (dq, _) in readers)
                {
                    var op = lo == 0 ? "Relu" : "Identity";
                    editor.InsertBefore(dq, GraphEditor.Node(op, editor.Unique(dq.Name + "_" + op.ToLowerInvariant()), [q.Input[0]], [dq.Output[0]]));
                    compressed.Graph.Node.Remove(dq);
                    if (lo == 0) relus++; else clips++;
                }
                continue;
            }
            var loName = editor.Unique(q.Output[0] + "_clip_min");
            var hiName = editor.Unique(q.Output[0] + "_clip_max");
            editor.AddInitializer(OnnxTensors.FromFloats(loName, [], [lo]));
            editor.AddInitializer(OnnxTensors.FromFloats(hiName, [], [hi]));
            foreach (var (dq, _) in readers)
            {
                var clip = GraphEditor.Node("Clip", editor.Unique(dq.Name + "_clip"), [q.Input[0], loName, hiName], [dq.Output[0]]);
                editor.InsertBefore(dq, clip);
                compressed.Graph.Node.Remove(dq);
                clips++;
            }
        }
        if (counts.Count == 0 && clips + relus == 0)
            throw new DflareException($"Model '{compressed.Name}' has no quantized activation (no QLinearConv/QLinearMatMul/QLinearAdd and no QuantizeLinear → DequantizeLinear pair); activation fallback has nothing to do.");
        GraphRepairs.RemoveDead(editor);
        var changes = counts.OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => $"{c.Value} {c.Key} → DequantizeLinear → float {c.Key[7..]} (integer weights kept, dequantized by a node) → QuantizeLinear").ToList();
        changes.Add(dropRanges
            ? $"{relus + clips} QuantizeLinear → DequantizeLinear pair(s) removed with their ranges: {relus} became a Relu (range starting at 0), {clips} an Identity"
            : $"{clips} QuantizeLinear → DequantizeLinear pair(s) replaced by Clip to the grid's range (the activation's rounding removed, its range kept)");
        return changes;
    }

    private static IEnumerable<NodeProto> Unquantize(OnnxModel model, GraphEditor editor, NodeProto node)
    {
        string Dq(List<NodeProto> into, string x, string scale, string zp, string tag)
        {
            var y = editor.Unique(x + "_" + tag + "_float");
            var n = GraphEditor.Node("DequantizeLinear", editor.Unique(node.Name + "_" + tag + "_DQ"), [x, scale, zp], [y]);
            if (OnnxTensors.ElementCount(Init(model, scale)) > 1)
            {
                // Per-channel weights: output channels are axis 0 of a Conv weight, axis 1 (columns) of a MatMul's B.
                n.Attribute.Add(GraphEditor.IntAttribute("axis", node.OpType == "QLinearMatMul" ? 1 : 0));
            }
            into.Add(n);
            return y;
        }
        var nodes = new List<NodeProto>();
        var i = node.Input;
        var yf = editor.Unique(node.Output[0] + "_float");
        NodeProto floatOp;
        if (node.OpType == "QLinearConv")
        {
            var inputs = new List<string> { Dq(nodes, i[0], i[1], i[2], "x"), Dq(nodes, i[3], i[4], i[5], "w") };
            if (i.Count > 8 && i[8].Length > 0)
            {
                // INT32 bias at scale x_scale · w_scale (per channel), zero point 0: stored as float (small).
                var b = OnnxTensors.ToFloats(Init(model, i[8]));
                float xs = OnnxTensors.ToFloats(Init(model, i[1]))[0];
                var ws = OnnxTensors.ToFloats(Init(model, i[4]));
                var bf = b.Select((v, c) => v * xs * ws[ws.Length == 1 ? 0 : c]).ToArray();
                var bName = editor.Unique(i[8] + "_float");
                editor.AddInitializer(OnnxTensors.FromFloats(bName, [bf.Length], bf));
                inputs.Add(bName);
            }
            floatOp = GraphEditor.Node("Conv", editor.Unique(node.Name + "_float"), inputs, [yf]);
            floatOp.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
        }
        else
        {
            // QLinearMatMul, or QLinearAdd (com.microsoft): A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp
            var a = Dq(nodes, i[0], i[1], i[2], "a");
            var b = Dq(nodes, i[3], i[4], i[5], "b");
            floatOp = GraphEditor.Node(node.OpType == "QLinearMatMul" ? "MatMul" : "Add", editor.Unique(node.Name + "_float"), [a, b], [yf]);
        }
        nodes.Add(floatOp);
        nodes.Add(GraphEditor.Node("QuantizeLinear", editor.Unique(node.Name + "_Q"), [yf, i[6], i[7]], [node.Output[0]]));
        return nodes;
    }

    private static TensorProto Init(OnnxModel model, string name) =>
        model.FindInitializer(name) ?? throw new DflareException($"Model '{model.Name}': the quantization parameter '{name}' is not an initializer; activation fallback needs constant scales and zero points.");

    private static bool SameGrid(OnnxModel model, NodeProto q, NodeProto dq)
    {
        if (q.Input.Count < 2 || dq.Input.Count < 2) return false;
        bool Same(string a, string b) => a == b || (model.FindInitializer(a) is { } ta && model.FindInitializer(b) is { } tb
            && ta.DataType == tb.DataType && OnnxTensors.ToFloats(ta).SequenceEqual(OnnxTensors.ToFloats(tb)));
        var qz = q.Input.Count > 2 ? q.Input[2] : "";
        var dz = dq.Input.Count > 2 ? dq.Input[2] : "";
        return Same(q.Input[1], dq.Input[1]) && (qz == dz || (qz.Length > 0 && dz.Length > 0 && Same(qz, dz)))
            && OnnxTensors.ElementCount(Init(model, q.Input[1])) == 1;
    }

    /// <summary>The float range a QuantizeLinear can represent: ((qmin − zp)·s, (qmax − zp)·s).</summary>
    private static (float Lo, float Hi) Range(OnnxModel model, NodeProto q)
    {
        float s = OnnxTensors.ToFloats(Init(model, q.Input[1]))[0];
        var zpT = q.Input.Count > 2 && q.Input[2].Length > 0 ? Init(model, q.Input[2]) : null;
        float zp = zpT is null ? 0 : OnnxTensors.ToFloats(zpT)[0];
        var (qmin, qmax) = zpT?.DataType switch
        {
            3 => (-128f, 127f),   // int8
            5 => (-32768f, 32767f), // int16
            4 => (0f, 65535f),    // uint16
            _ => (0f, 255f),      // uint8 (the default without a zero point)
        };
        return ((qmin - zp) * s, (qmax - zp) * s);
    }
}
