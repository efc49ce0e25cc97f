using Dflare.Onnx.Proto;

namespace Dflare.Onnx;

/// <summary>
/// Element-type inference for the tensors of a graph, enough to declare intermediate tensors as graph outputs:
/// value infos and graph inputs/outputs are taken as declared; node outputs follow per-operator rules (quantized
/// operators give the type of their output zero point, Cast its <c>to</c>, Shape INT64, ...) and otherwise the type of
/// the node's first typed input.
/// </summary>
internal static class TensorTypes
{
    private const int Float = 1, Uint8 = 2, Int32 = 6, Int64 = 7, Bool = 9;

    public static Dictionary<string, int> Infer(OnnxModel model)
    {
        var g = model.Graph;
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        void Declared(ValueInfoProto v)
        {
            if (v.Type?.TensorType is { HasElemType: true } tt && tt.ElemType != 0) types[v.Name] = tt.ElemType;
        }
        foreach (var t in g.Initializer) types[t.Name] = t.DataType;
        foreach (var v in g.Input) Declared(v);
        var declared = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var v in g.ValueInfo.Concat(g.Output))
            if (v.Type?.TensorType is { HasElemType: true } tt && tt.ElemType != 0) declared[v.Name] = tt.ElemType;

        int Of(NodeProto n, int i) => i < n.Input.Count && n.Input[i].Length > 0 && types.TryGetValue(n.Input[i], out var t) ? t : 0;
        int FirstTyped(NodeProto n)
        {
            for (int i = 0; i < n.Input.Count; i++) if (Of(n, i) is var t and not 0) return t;
            return 0;
        }
        long IntAttr(NodeProto n, string name, long dflt) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : dflt;

        foreach (var n in g.Node)
        {
            for (int o = 0; o < n.Output.Count; o++)
            {
                var name = n.Output[o];
                if (name.Length == 0) continue;
                if (declared.TryGetValue(name, out var d)) { types[name] = d; continue; }
                int t = n.OpType switch
                {
                    "Cast" => (int)IntAttr(n, "to", Float),
                    "CastLike" => Of(n, 1),
                    "QuantizeLinear" => n.Input.Count > 2 && n.Input[2].Length > 0 ? Of(n, 2) : (int)IntAttr(n, "output_dtype", Uint8) is var od and not 0 ? od : Uint8,
                    "DequantizeLinear" => Of(n, 1) is var s and not 0 ? s : Float,
                    "DynamicQuantizeLinear" => o == 1 ? Float : Uint8,
                    "QLinearConv" or "QLinearMatMul" or "QLinearAdd" or "QLinearMul" => Of(n, 7) is var z7 and not 0 ? z7 : Of(n, 0),
                    "QLinearGlobalAveragePool" or "QLinearAveragePool" or "QLinearLeakyRelu" or "QLinearSigmoid" or "QLinearSoftmax"
                        => Of(n, 4) is var z4 and not 0 ? z4 : Of(n, 0),
                    "QLinearConcat" => Of(n, 1) is var z1 and not 0 ? z1 : Of(n, 2),
                    "ConvInteger" or "MatMulInteger" => Int32,
                    "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin" or "NonMaxSuppression" => Int64,
                    "TopK" when o == 1 => Int64,
                    "MaxPool" when o == 1 => Int64,
                    "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "Not" or "And" or "Or" or "Xor" or "IsNaN" or "IsInf" => Bool,
                    "Constant" => WeightedLayers.ConstantValue(n)?.DataType ?? Float,
                    "ConstantOfShape" => n.Attribute.FirstOrDefault(a => a.Name == "value")?.T?.DataType ?? Float,
                    "Where" => Of(n, 1),
                    "EyeLike" or "RandomNormalLike" or "RandomUniformLike" => (int)IntAttr(n, "dtype", FirstTyped(n)),
                    _ => FirstTyped(n),
                };
                if (t != 0) types[name] = t;
            }
        }
        return types;
    }
}
