using Dflare.Onnx;
using Dflare.Onnx.Proto;

namespace Dflare.Localization;

/// <summary>How a compressed tensor was found for an original one.</summary>
public enum MatchForm
{
    /// <summary>The same float tensor (weight-only, pruned or fake-quantized layers: same node, other weights).</summary>
    Float,
    /// <summary>The DequantizeLinear output after a QuantizeLinear of the layer's output (QDQ format).</summary>
    Qdq,
    /// <summary>The integer output of a quantized operator (QLinearConv, QLinearMatMul, QLinearAdd), dequantized with its scale and zero point.</summary>
    QOperator,
}

/// <summary>An original tensor and the compressed model's tensor that stands for it.</summary>
public sealed record MatchedTensor
{
    /// <summary>Display name: the original layer's (or Add node's) stable name.</summary>
    public required string Name { get; init; }
    /// <summary>The original operator (<c>Conv</c>, <c>Gemm</c>, <c>MatMul</c>, <c>Add</c>).</summary>
    public required string OpType { get; init; }
    /// <summary>The compressed operator that computes it (e.g. <c>QLinearConv</c>).</summary>
    public required string CompressedOpType { get; init; }
    /// <summary>The tensor read in the original model.</summary>
    public required string OriginalTensor { get; init; }
    /// <summary>The tensor read in the compressed model.</summary>
    public required string CompressedTensor { get; init; }
    /// <summary>How the compressed tensor was found.</summary>
    public required MatchForm Form { get; init; }
    /// <summary>How the layers were paired: <c>name</c> (same or quantizer-suffixed node/tensor name) or <c>order</c> (same position and weight size).</summary>
    public required string PairedBy { get; init; }
    /// <summary>True when the compressed operator has the following activation (Relu/Clip) fused in, so the original's activation output is compared.</summary>
    public bool ActivationFused { get; init; }
    /// <summary>The original weighted layer (null for an Add).</summary>
    public WeightedLayer? OriginalLayer { get; init; }
    /// <summary>The compressed weighted layer (null for an Add).</summary>
    public WeightedLayer? CompressedLayer { get; init; }
}

/// <summary>The tensors of two models matched for comparison, and what could not be matched.</summary>
public sealed record TensorMatch
{
    /// <summary>Matched tensors in the original's graph order.</summary>
    public required IReadOnlyList<MatchedTensor> Matched { get; init; }
    /// <summary>Weighted layers of the original with no counterpart.</summary>
    public required IReadOnlyList<string> UnmatchedOriginal { get; init; }
    /// <summary>Weighted layers of the compressed model with no counterpart.</summary>
    public required IReadOnlyList<string> UnmatchedCompressed { get; init; }
}

/// <summary>
/// Matches the layer outputs of an original model with those of its compressed form. Weighted layers (Conv, Gemm,
/// MatMul and their quantized forms QLinearConv / QLinearMatMul / ConvInteger / MatMulInteger) are paired by node or
/// output name with the suffixes quantizers add stripped (<c>_quant</c>, <c>_quantized</c>, <c>_MatMul</c> of a Gemm
/// split into QLinearMatMul + QLinearAdd), and the rest by position when the remaining layers have the same count and
/// weight sizes in order. The compressed side's tensor is then moved past a QuantizeLinear → DequantizeLinear pair
/// (QDQ) and past a bias Add/QLinearAdd whose output carries the original's name. When the original's output feeds a
/// Relu/Clip that the compressed graph no longer has, the activation was fused and its output is compared. Adds of two
/// activations (residual joins) are matched by output name too.
/// </summary>
public static class TensorMatcher
{
    private static readonly string[] Suffixes = ["_quantized", "_dequantized", "_quant", "_MatMul", "_output_0_QuantizeLinear", "_float", "_fallback"];
    private static readonly HashSet<string> Activations = new(StringComparer.Ordinal) { "Relu", "Clip", "LeakyRelu" };

    /// <summary>A name with the suffixes quantization tools append removed (repeatedly).</summary>
    public static string Normalize(string name)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (var s in Suffixes)
                if (name.Length > s.Length && name.EndsWith(s, StringComparison.Ordinal)) { name = name[..^s.Length]; changed = true; }
        }
        return name;
    }

    /// <summary>Matches the tensors of <paramref name="original"/> and <paramref name="compressed"/>.</summary>
    /// <exception cref="DflareException">Nothing at all can be matched (the models are not a compression pair).</exception>
    public static TensorMatch Match(OnnxModel original, OnnxModel compressed)
    {
        var oLayers = WeightedLayers.Find(original, readValues: false);
        var cLayers = WeightedLayers.Find(compressed, readValues: false);
        var pairs = new List<(WeightedLayer O, WeightedLayer C, string By)>();
        var usedC = new HashSet<WeightedLayer>();
        var cNodes = compressed.Graph.Node;
        var oNodes = original.Graph.Node;
        foreach (var o in oLayers)
        {
            var oName = oNodes[o.NodeIndex].Name;
            var c = cLayers.FirstOrDefault(c => !usedC.Contains(c) &&
                ((oName.Length > 0 && SameName(cNodes[c.NodeIndex].Name, oName)) || SameName(c.OutputTensor, o.OutputTensor)));
            if (c is null) continue;
            usedC.Add(c);
            pairs.Add((o, c, "name"));
        }
        var restO = oLayers.Where(o => pairs.All(p => p.O != o)).ToList();
        var restC = cLayers.Where(c => !usedC.Contains(c)).ToList();
        if (restO.Count > 0 && restO.Count == restC.Count && restO.Zip(restC).All(z => z.First.WeightCount == z.Second.WeightCount))
        {
            foreach (var (o, c) in restO.Zip(restC)) pairs.Add((o, c, "order"));
            restO.Clear(); restC.Clear();
        }

        var matched = new List<(int Order, MatchedTensor M)>();
        foreach (var (o, c, by) in pairs)
        {
            var (cTensor, form) = Follow(compressed, c.OutputTensor, o.OutputTensor);
            var (oTensor, fused) = OriginalSide(original, compressed, o.OutputTensor, cTensor, form);
            matched.Add((o.NodeIndex, new MatchedTensor
            {
                Name = o.Name, OpType = o.OpType, CompressedOpType = c.OpType, OriginalTensor = oTensor, CompressedTensor = cTensor,
                Form = form, PairedBy = by, ActivationFused = fused, OriginalLayer = o, CompressedLayer = c,
            }));
        }

        // Residual joins: Add nodes of two activations, matched by output name.
        var cByNorm = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in cNodes)
            if (n.OpType is "Add" or "QLinearAdd" && n.Output.Count > 0) { cByNorm.TryAdd(n.Output[0], n); cByNorm.TryAdd(Normalize(n.Output[0]), n); }
        var oInits = original.InitializersByName();
        var taken = matched.Select(m => m.M.OriginalTensor).Concat(matched.Select(m => m.M.OriginalLayer!.OutputTensor)).ToHashSet(StringComparer.Ordinal);
        for (int i = 0; i < oNodes.Count; i++)
        {
            var n = oNodes[i];
            if (n.OpType != "Add" || n.Output.Count == 0 || n.Input.Count < 2 || n.Input.Any(oInits.ContainsKey) || taken.Contains(n.Output[0])) continue;
            if (!cByNorm.TryGetValue(n.Output[0], out var cn)) continue;
            var (cTensor, form) = Follow(compressed, cn.Output[0], n.Output[0]);
            if (cn.OpType == "QLinearAdd") form = MatchForm.QOperator;
            var (oTensor, fused) = OriginalSide(original, compressed, n.Output[0], cTensor, form);
            matched.Add((i, new MatchedTensor
            {
                Name = n.Name.Length > 0 ? n.Name : $"Add_{i}", OpType = "Add", CompressedOpType = cn.OpType,
                OriginalTensor = oTensor, CompressedTensor = cTensor, Form = form, PairedBy = "name", ActivationFused = fused,
            }));
        }
        if (matched.Count == 0)
            throw new DflareException($"No layer of '{compressed.Name}' matches a layer of '{original.Name}' (by name, or by order and weight size): " +
                $"they do not look like an original and its compression ({oLayers.Count} vs {cLayers.Count} weighted layers).");
        return new TensorMatch
        {
            Matched = matched.OrderBy(m => m.Order).Select(m => m.M).ToList(),
            UnmatchedOriginal = restO.Select(l => $"{l.Name} ({l.OpType})").ToList(),
            UnmatchedCompressed = restC.Select(l => $"{l.Name} ({l.OpType})").ToList(),
        };
    }

    /// <summary>A compressed model's name stands for an original's: the same, or the same with quantizer suffixes removed.</summary>
    private static bool SameName(string compressed, string original) => compressed == original || Normalize(compressed) == original;

    /// <summary>
    /// From a compressed layer's output: past a bias Add/QLinearAdd that carries the original's name (also when a Clip or
    /// Identity stands between them, as in an activation-fallback model where a QuantizeLinear → DequantizeLinear pair
    /// became one), then past a QuantizeLinear → DequantizeLinear pair. Integer tensors are QOperator outputs.
    /// </summary>
    private static (string Tensor, MatchForm Form) Follow(OnnxModel model, string tensor, string originalTensor)
    {
        var t = tensor;
        var consumers = model.Consumers(t);
        if (t != originalTensor && consumers.Count == 1 && consumers[0].Node.OpType is "Clip" or "Identity" && consumers[0].Node.Output.Count > 0
            && model.Consumers(consumers[0].Node.Output[0]) is [{ Node: { OpType: "Add" } add }] && add.Output.Count > 0 && SameName(add.Output[0], originalTensor))
            consumers = model.Consumers(consumers[0].Node.Output[0]);
        if (consumers.Count == 1 && consumers[0].Node.OpType is "Add" or "QLinearAdd" && consumers[0].Node.Output.Count > 0
            && SameName(consumers[0].Node.Output[0], originalTensor) && t != originalTensor)
            t = consumers[0].Node.Output[0];
        var producer = model.Producer(t);
        if (producer is not null && (producer.OpType.StartsWith("QLinear", StringComparison.Ordinal) || producer.OpType is "ConvInteger" or "MatMulInteger"))
            return (t, MatchForm.QOperator);
        consumers = model.Consumers(t);
        if (consumers.Count == 1 && consumers[0].Node.OpType == "QuantizeLinear" && consumers[0].Node.Output.Count > 0)
        {
            var q = consumers[0].Node.Output[0];
            var dq = model.Consumers(q).FirstOrDefault(c => c.Node.OpType == "DequantizeLinear");
            if (dq.Node is not null) return (dq.Node.Output[0], MatchForm.Qdq);
        }
        return (t, MatchForm.Float);
    }

    /// <summary>
    /// The original tensor to compare: its activation's output when the original applies a Relu/Clip that the compressed
    /// (QOperator) graph no longer has because the operator fused it; else the tensor itself.
    /// </summary>
    private static (string Tensor, bool Fused) OriginalSide(OnnxModel original, OnnxModel compressed, string tensor, string compressedTensor, MatchForm form) =>
        form == MatchForm.QOperator && ActivationAfter(original, tensor) is { } act && !HasActivationReader(compressed, compressedTensor)
            ? (act, true) : (tensor, false);

    /// <summary>True when a Relu/Clip reads <paramref name="tensor"/> (directly or after a Q/DQ pair).</summary>
    private static bool HasActivationReader(OnnxModel model, string tensor) =>
        model.Consumers(tensor).Any(c => Activations.Contains(c.Node.OpType)
            || (c.Node.OpType is "QuantizeLinear" or "DequantizeLinear" && HasActivationReader(model, c.Node.Output[0])));

    /// <summary>The output of a Relu/Clip that is the only reader of <paramref name="tensor"/> (directly or after a Q/DQ pair), or null.</summary>
    private static string? ActivationAfter(OnnxModel model, string tensor)
    {
        var consumers = model.Consumers(tensor);
        if (consumers.Count != 1) return null;
        var n = consumers[0].Node;
        if (Activations.Contains(n.OpType)) return n.Output[0];
        if (n.OpType is "QuantizeLinear" or "DequantizeLinear") return ActivationAfter(model, n.Output[0]);
        return null;
    }
}
