using Dflare.Onnx.Proto;

namespace Dflare.Onnx;

/// <summary>Where a weighted layer's weight values come from.</summary>
public enum WeightStorage
{
    /// <summary>An initializer read directly by the layer.</summary>
    Initializer,
    /// <summary>An initializer reshaped by a Reshape node with a constant shape (e.g. CNTK's MatMul weights in mnist-8).</summary>
    Reshape,
    /// <summary>The value of a Constant node.</summary>
    Constant,
    /// <summary>An integer initializer dequantized by a DequantizeLinear node (QDQ format).</summary>
    DequantizeLinear,
    /// <summary>A lower-precision initializer (e.g. FLOAT16) cast to float by a Cast node.</summary>
    Cast,
    /// <summary>An integer initializer read by a quantized operator (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger).</summary>
    QuantizedOperator,
}

/// <summary>
/// A layer with constant weights: Conv, Gemm or MatMul (weight from an initializer, a Constant, a reshaped initializer,
/// a DequantizeLinear of an integer initializer or a Cast of a float16 one), or a quantized operator
/// (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger) with an integer weight initializer.
/// </summary>
public sealed record WeightedLayer
{
    /// <summary>
    /// The stable layer name: the node's name, or <c>OpType_k</c> (k-th weighted layer of that op type) when the
    /// node has none; made unique with a <c>#n</c> suffix if two nodes share a name. Used by <c>--bits-per-layer</c>.
    /// </summary>
    public required string Name { get; init; }
    /// <summary>The operator (e.g. <c>Conv</c>, <c>QLinearConv</c>).</summary>
    public required string OpType { get; init; }
    /// <summary>Position of the node in the graph's node list.</summary>
    public required int NodeIndex { get; init; }
    /// <summary>The activation tensor the layer reads (its first input).</summary>
    public required string InputTensor { get; init; }
    /// <summary>The tensor the layer writes (its first output).</summary>
    public required string OutputTensor { get; init; }
    /// <summary>Position of the weight among the node's inputs.</summary>
    public required int WeightInputIndex { get; init; }
    /// <summary>The tensor the node reads as its weight (the initializer itself or the output of Reshape / DequantizeLinear / Cast / Constant).</summary>
    public required string WeightInput { get; init; }
    /// <summary>Name of the initializer (or Constant node output) holding the stored weight values.</summary>
    public required string WeightSource { get; init; }
    /// <summary>How the weight reaches the node.</summary>
    public required WeightStorage Storage { get; init; }
    /// <summary>The weight shape as the layer sees it (after a Reshape, if any).</summary>
    public required long[] WeightShape { get; init; }
    /// <summary>Element type of the stored weight values (e.g. <c>FLOAT</c>, <c>INT8</c>, <c>FLOAT16</c>).</summary>
    public required string WeightType { get; init; }
    /// <summary>The axis of <see cref="WeightShape"/> that indexes output channels (0 for Conv and transposed Gemm weights, the last one for MatMul).</summary>
    public required int OutputChannelAxis { get; init; }
    /// <summary>The bias initializer, if the layer has a constant bias input.</summary>
    public string? BiasSource { get; init; }
    /// <summary>Number of bias values (0 without a bias).</summary>
    public long BiasCount { get; init; }
    /// <summary>True when the stored weights are integers with a scale (QDQ or quantized operator).</summary>
    public required bool Quantized { get; init; }
    /// <summary>Bit width of quantized weights (e.g. 8), null for float weights.</summary>
    public int? Bits { get; init; }
    /// <summary>
    /// Fraction of weights that are zero: stored values equal to the zero point for quantized weights, exact zeros for
    /// float weights; null when the values cannot be read.
    /// </summary>
    public double? ZeroFraction { get; init; }

    /// <summary>Number of weight values.</summary>
    public long WeightCount => OnnxTensors.ElementCount(WeightShape);

    /// <summary>Weights plus bias values.</summary>
    public long Parameters => WeightCount + BiasCount;

    /// <summary>Number of output channels (size of <see cref="OutputChannelAxis"/>).</summary>
    public long OutputChannels => WeightShape.Length == 0 ? 1 : WeightShape[OutputChannelAxis];

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} ({OpType}, {WeightType} {OnnxTensors.FormatShape(WeightShape)}{(Quantized ? $", {Bits}-bit" : "")})";
}

/// <summary>Finds the weighted layers of a model.</summary>
public static class WeightedLayers
{
    private sealed record Spec(int Weight, int Bias, int ZeroPoint, bool QuantizedOp);

    private static Spec? SpecOf(NodeProto n)
    {
        var domain = OnnxModel.NormalizeDomain(n.Domain);
        if (domain is not ("" or "com.microsoft")) return null;
        return n.OpType switch
        {
            "Conv" when domain == "" => new Spec(1, 2, -1, false),
            "Gemm" when domain == "" => new Spec(1, 2, -1, false),
            "MatMul" when domain == "" => new Spec(1, -1, -1, false),
            "QLinearConv" => new Spec(3, 8, 5, true),
            "QLinearMatMul" => new Spec(3, -1, 5, true),
            "ConvInteger" => new Spec(1, -1, 3, true),
            "MatMulInteger" => new Spec(1, -1, 3, true),
            _ => null,
        };
    }

    /// <summary>Operators that can be weighted layers.</summary>
    public static IReadOnlyList<string> OpTypes { get; } =
        ["Conv", "Gemm", "MatMul", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger"];

    /// <summary>
    /// The weighted layers of <paramref name="model"/>, in graph order. A Conv/Gemm/MatMul whose weight is not
    /// constant (e.g. a MatMul of two activations) is not a weighted layer.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="readValues">Read the weights to compute <see cref="WeightedLayer.ZeroFraction"/> (default true).</param>
    public static IReadOnlyList<WeightedLayer> Find(OnnxModel model, bool readValues = true)
    {
        var g = model.Graph;
        var inits = model.InitializersByName();
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in g.Node) foreach (var o in n.Output) producers.TryAdd(o, n);
        var found = new List<WeightedLayer>();
        var perOp = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < g.Node.Count; i++)
        {
            var n = g.Node[i];
            if (SpecOf(n) is not { } spec || n.Input.Count <= spec.Weight || n.Output.Count == 0) continue;
            var layer = Resolve(n, i, spec, inits, producers, readValues);
            if (layer is null) continue;
            int k = perOp.GetValueOrDefault(n.OpType);
            perOp[n.OpType] = k + 1;
            var name = n.HasName && n.Name.Length > 0 ? n.Name : $"{n.OpType}_{k}";
            found.Add(layer with { Name = name });
        }
        // Unique names: a repeated name gets #2, #3, ... in graph order.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<WeightedLayer>(found.Count);
        foreach (var layer in found)
        {
            int c = seen.GetValueOrDefault(layer.Name) + 1;
            seen[layer.Name] = c;
            result.Add(c == 1 ? layer : layer with { Name = $"{layer.Name}#{c}" });
        }
        return result;
    }

    private static WeightedLayer? Resolve(NodeProto n, int index, Spec spec,
        IReadOnlyDictionary<string, TensorProto> inits, Dictionary<string, NodeProto> producers, bool readValues)
    {
        var weightInput = n.Input[spec.Weight];
        TensorProto? stored;
        WeightStorage storage;
        long[] shape;
        TensorProto? zeroPoint = null;
        if (inits.TryGetValue(weightInput, out var direct))
        {
            stored = direct;
            storage = spec.QuantizedOp ? WeightStorage.QuantizedOperator : WeightStorage.Initializer;
            shape = OnnxTensors.Dims(direct);
            if (spec.QuantizedOp && spec.ZeroPoint < n.Input.Count && n.Input[spec.ZeroPoint] is { Length: > 0 } zp)
                zeroPoint = ConstantTensor(zp, inits, producers);
        }
        else if (spec.QuantizedOp || !producers.TryGetValue(weightInput, out var p)) return null;
        else if (p.OpType == "Constant" && ConstantValue(p) is { } cv)
        {
            stored = cv; storage = WeightStorage.Constant; shape = OnnxTensors.Dims(cv);
        }
        else if (p.OpType == "Reshape" && p.Input.Count >= 2 && inits.TryGetValue(p.Input[0], out var src)
                 && ConstantTensor(p.Input[1], inits, producers) is { } shapeTensor)
        {
            stored = src; storage = WeightStorage.Reshape;
            shape = ReshapedDims(OnnxTensors.Dims(src), OnnxTensors.ToInt64s(shapeTensor));
        }
        else if (p.OpType == "DequantizeLinear" && inits.TryGetValue(p.Input[0], out var q))
        {
            stored = q; storage = WeightStorage.DequantizeLinear; shape = OnnxTensors.Dims(q);
            if (p.Input.Count > 2 && p.Input[2].Length > 0) zeroPoint = ConstantTensor(p.Input[2], inits, producers);
        }
        else if (p.OpType == "Cast" && inits.TryGetValue(p.Input[0], out var c))
        {
            stored = c; storage = WeightStorage.Cast; shape = OnnxTensors.Dims(c);
        }
        else return null;

        int axis = n.OpType switch
        {
            "Conv" or "QLinearConv" or "ConvInteger" => 0,
            "Gemm" => n.Attribute.FirstOrDefault(a => a.Name == "transB") is { I: not 0 } ? 0 : 1,
            _ => Math.Max(0, shape.Length - 1),
        };
        if (shape.Length == 0) axis = 0;
        else if (axis >= shape.Length) axis = shape.Length - 1;

        string? biasSource = null;
        long biasCount = 0;
        if (spec.Bias >= 0 && spec.Bias < n.Input.Count && n.Input[spec.Bias].Length > 0)
        {
            var b = n.Input[spec.Bias];
            if (inits.TryGetValue(b, out var bt)) { biasSource = b; biasCount = OnnxTensors.ElementCount(bt); }
            else if (producers.TryGetValue(b, out var bp) && bp.OpType is "DequantizeLinear" or "Cast" && inits.TryGetValue(bp.Input[0], out var bq))
            { biasSource = bq.Name; biasCount = OnnxTensors.ElementCount(bq); }
        }

        bool quantized = storage is WeightStorage.DequantizeLinear or WeightStorage.QuantizedOperator;
        int? bits = quantized ? OnnxTensors.IntegerBits(stored.DataType) : null;
        double? zeroFraction = null;
        if (readValues && OnnxTensors.ReadableTypes.Contains(stored.DataType) && !OnnxTensors.IsExternal(stored))
            zeroFraction = ZeroFraction(stored, quantized ? zeroPoint : null, shape, axis);

        return new WeightedLayer
        {
            Name = "", OpType = n.OpType, NodeIndex = index, InputTensor = n.Input[0], OutputTensor = n.Output[0],
            WeightInputIndex = spec.Weight, WeightInput = weightInput, WeightSource = storage == WeightStorage.Constant ? weightInput : stored.Name,
            Storage = storage, WeightShape = shape, WeightType = OnnxTensors.TypeName(stored.DataType), OutputChannelAxis = axis,
            BiasSource = biasSource, BiasCount = biasCount, Quantized = quantized, Bits = bits, ZeroFraction = zeroFraction,
        };
    }

    private static double? ZeroFraction(TensorProto stored, TensorProto? zeroPoint, long[] shape, int axis)
    {
        float[] values;
        try { values = OnnxTensors.ToFloats(stored); }
        catch (DflareException) { return null; }
        if (values.Length == 0) return 0;
        float[] zp = zeroPoint is null ? [0f] : OnnxTensors.ToFloats(zeroPoint);
        if (zp.Length == 0) zp = [0f];
        long zeros = 0;
        if (zp.Length == 1)
        {
            foreach (var v in values) if (v == zp[0]) zeros++;
        }
        else
        {
            var (stride, channels) = ChannelStride(shape, axis);
            for (int i = 0; i < values.Length; i++)
            {
                var c = (int)(i / stride % channels);
                if (values[i] == zp[Math.Min(c, zp.Length - 1)]) zeros++;
            }
        }
        return (double)zeros / values.Length;
    }

    /// <summary>For a row-major tensor of <paramref name="shape"/>: the flat-index stride of <paramref name="axis"/> and its size.</summary>
    public static (long Stride, long Size) ChannelStride(IReadOnlyList<long> shape, int axis)
    {
        if (shape.Count == 0) return (1, 1);
        long stride = 1;
        for (int d = axis + 1; d < shape.Count; d++) stride *= shape[d];
        return (stride, shape[axis]);
    }

    /// <summary>The value of a Constant node's <c>value</c> attribute, or null.</summary>
    internal static TensorProto? ConstantValue(NodeProto constant) =>
        constant.Attribute.FirstOrDefault(a => a.Name == "value")?.T;

    /// <summary>The constant tensor named <paramref name="name"/> (an initializer or a Constant node's value), or null.</summary>
    internal static TensorProto? ConstantTensor(string name, IReadOnlyDictionary<string, TensorProto> inits, Dictionary<string, NodeProto> producers)
    {
        if (inits.TryGetValue(name, out var t)) return t;
        if (producers.TryGetValue(name, out var p) && p.OpType == "Constant") return ConstantValue(p);
        return null;
    }

    /// <summary>The dims a Reshape gives <paramref name="input"/> for the requested <paramref name="shape"/> (0 copies a dim, -1 is inferred).</summary>
    /// <exception cref="DflareException">The shape does not fit the element count.</exception>
    public static long[] ReshapedDims(long[] input, long[] shape)
    {
        var total = OnnxTensors.ElementCount(input);
        var r = new long[shape.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            r[i] = shape[i] == 0 && i < input.Length ? input[i] : shape[i];
            if (r[i] == -1) infer = i; else known *= r[i];
        }
        if (infer >= 0 && known > 0) r[infer] = total / known;
        if (OnnxTensors.ElementCount(r) != total)
            throw new DflareException($"Reshape of {OnnxTensors.FormatShape(input)} to {OnnxTensors.FormatShape(shape)} does not keep the element count.");
        return r;
    }

    /// <summary>
    /// The stored weight tensor of a layer: the initializer, or the Constant node's value for <see cref="WeightStorage.Constant"/>.
    /// </summary>
    /// <exception cref="DflareException">The model has no such tensor (it changed since the layer was found).</exception>
    public static TensorProto StoredWeight(OnnxModel model, WeightedLayer layer)
    {
        if (layer.Storage == WeightStorage.Constant)
        {
            var p = model.Producer(layer.WeightInput);
            if (p is not null && ConstantValue(p) is { } v) return v;
            throw new DflareException($"Model '{model.Name}': layer '{layer.Name}' has no Constant weight '{layer.WeightInput}'.");
        }
        return model.Initializer(layer.WeightSource);
    }
}
