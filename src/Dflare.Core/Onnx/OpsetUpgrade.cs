namespace Dflare.Onnx;

/// <summary>
/// Raises a model's default-domain opset when that is known not to change what its operators compute. Quantization
/// needs it: per-channel DequantizeLinear (the <c>axis</c> attribute) exists from opset 13, QuantizeLinear /
/// DequantizeLinear from opset 10. Each operator is checked against the opset versions in which its signature or
/// semantics changed (e.g. Squeeze/Unsqueeze/Split/ReduceSum take their axes as an input from 13, Softmax changes
/// its axis semantics at 13, Dropout's ratio becomes an input at 12, Pad's pads at 11); an operator not in the table
/// is not upgraded.
/// </summary>
public static class OpsetUpgrade
{
    // Operator → (lowest opset from which the operator means the same up to `BreaksAt`, first opset where it changes
    // incompatibly or null). Upgrading from v to t is safe when v >= From and not (v < BreaksAt <= t).
    private static readonly Dictionary<string, (int From, int? BreaksAt)> Table = new(StringComparer.Ordinal)
    {
        ["Conv"] = (1, null), ["ConvTranspose"] = (1, null), ["MaxPool"] = (1, null), ["AveragePool"] = (1, null),
        ["GlobalAveragePool"] = (1, null), ["GlobalMaxPool"] = (1, null), ["LpPool"] = (2, null), ["LRN"] = (1, null),
        ["Relu"] = (6, null), ["LeakyRelu"] = (6, null), ["Sigmoid"] = (6, null), ["Tanh"] = (6, null), ["Elu"] = (6, null),
        ["Selu"] = (6, null), ["HardSigmoid"] = (6, null), ["Softplus"] = (1, null), ["Softsign"] = (1, null), ["PRelu"] = (7, null),
        ["Add"] = (7, null), ["Sub"] = (7, null), ["Mul"] = (7, null), ["Div"] = (7, null), ["Pow"] = (7, null),
        ["Sum"] = (8, null), ["Max"] = (8, null), ["Min"] = (8, null), ["Mean"] = (8, null),
        ["Exp"] = (6, null), ["Log"] = (6, null), ["Sqrt"] = (6, null), ["Abs"] = (6, null), ["Neg"] = (6, null),
        ["Floor"] = (6, null), ["Ceil"] = (6, null), ["Reciprocal"] = (6, null), ["Erf"] = (9, null),
        ["MatMul"] = (1, null), ["Gemm"] = (7, null), ["Reshape"] = (5, null), ["Flatten"] = (1, null), ["Transpose"] = (1, null),
        ["Concat"] = (4, null), ["Identity"] = (1, null), ["Constant"] = (1, null), ["Shape"] = (1, null), ["Gather"] = (1, null),
        ["Cast"] = (6, null), ["BatchNormalization"] = (9, null), ["InstanceNormalization"] = (6, null),
        ["ReduceMean"] = (1, null), ["ReduceMax"] = (1, null), ["ReduceMin"] = (1, null), ["ReduceProd"] = (1, null),
        ["ReduceL1"] = (1, null), ["ReduceL2"] = (1, null), ["ReduceLogSumExp"] = (1, null), ["ReduceSumSquare"] = (1, null),
        ["ArgMax"] = (1, null), ["ArgMin"] = (1, null), ["Expand"] = (8, null), ["Tile"] = (6, null), ["Where"] = (9, null),
        ["Equal"] = (7, null), ["Less"] = (7, null), ["Greater"] = (7, null), ["Not"] = (1, null),
        ["ConstantOfShape"] = (9, null), ["NonZero"] = (9, null), ["Range"] = (11, null), ["Einsum"] = (12, null),
        ["QuantizeLinear"] = (10, null), ["DequantizeLinear"] = (10, null), ["QLinearConv"] = (10, null),
        ["QLinearMatMul"] = (10, null), ["ConvInteger"] = (10, null), ["MatMulInteger"] = (10, null),
        ["Slice"] = (10, null), ["TopK"] = (10, null), ["Resize"] = (11, null), ["Pad"] = (11, null), ["Clip"] = (11, null),
        ["Squeeze"] = (1, 13), ["Unsqueeze"] = (1, 13), ["Split"] = (2, 13), ["ReduceSum"] = (1, 13),
        ["Softmax"] = (1, 13), ["LogSoftmax"] = (1, 13), ["Hardmax"] = (1, 13), ["Dropout"] = (7, 12),
    };

    /// <summary>
    /// Why the model's default-domain opset cannot be raised to <paramref name="target"/> without changing what it
    /// computes, or null when it can (or already is at least <paramref name="target"/>).
    /// </summary>
    public static string? WhyNot(OnnxModel model, long target)
    {
        var v = model.OpsetVersion();
        if (v >= target) return null;
        if (v == 0) return $"model '{model.Name}' imports no default-domain opset";
        foreach (var op in model.Graph.Node.Where(n => OnnxModel.NormalizeDomain(n.Domain) == "").Select(n => n.OpType).Distinct())
        {
            if (!Table.TryGetValue(op, out var r))
                return $"operator {op} is not known to keep its meaning from opset {v} to {target}";
            if (v < r.From)
                return $"operator {op} changed after opset {v} (it is only known to be stable from opset {r.From})";
            if (r.BreaksAt is { } b && v < b && target >= b)
                return $"operator {op} changes its signature or meaning at opset {b}";
        }
        return null;
    }

    /// <summary>
    /// Raises the default-domain opset to <paramref name="target"/> (and the IR version to one that goes with it:
    /// 5 for opset 10, 7 for opset 13) when <see cref="WhyNot"/> allows; does nothing when it already is that high.
    /// </summary>
    /// <exception cref="DflareException">The upgrade could change what the model computes.</exception>
    public static void Upgrade(OnnxModel model, long target)
    {
        if (model.OpsetVersion() >= target) return;
        if (WhyNot(model, target) is { } why)
            throw new DflareException($"Model '{model.Name}' cannot be moved to opset {target}: {why}.");
        var editor = new GraphEditor(model);
        editor.AllowFreeInitializers();
        model.SetOpsetVersion(target);
        long ir = target >= 13 ? 7 : target >= 11 ? 6 : target >= 10 ? 5 : 4;
        if (model.Proto.IrVersion < ir) model.Proto.IrVersion = ir;
    }
}
