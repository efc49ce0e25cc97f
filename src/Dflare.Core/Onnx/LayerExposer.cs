using Dflare.Onnx.Proto;

namespace Dflare.Onnx;

/// <summary>An intermediate tensor made readable as a graph output by <see cref="LayerExposer"/>.</summary>
public sealed record ExposedTensor
{
    /// <summary>The tensor name (also the name of the graph output).</summary>
    public required string Name { get; init; }
    /// <summary>Element type the model produces it in (e.g. <c>FLOAT</c>; <c>UINT8</c> for the outputs of QLinearConv in QOperator models).</summary>
    public required string ElementType { get; init; }
    /// <summary>The operator that produces it (<c>input</c> for a graph input).</summary>
    public required string Producer { get; init; }
    /// <summary>Name of the producing node (empty if unnamed or a graph input).</summary>
    public required string ProducerNode { get; init; }
    /// <summary>The weighted layer whose output this is, by its stable name, or null.</summary>
    public string? Layer { get; init; }
    /// <summary>True when the tensor already was an output of the original model.</summary>
    public bool WasOutput { get; init; }
    /// <summary>For an integer tensor with a known per-tensor quantization (output scale of a QLinear operator or QuantizeLinear): the scale.</summary>
    public float? Scale { get; init; }
    /// <summary>The zero point that goes with <see cref="Scale"/>.</summary>
    public int? ZeroPoint { get; init; }

    /// <summary>True when the float value of the tensor can be had as <c>(q − ZeroPoint) · Scale</c>.</summary>
    public bool CanDequantize => Scale is not null && ZeroPoint is not null;
}

/// <summary>
/// Model surgery that exposes intermediate tensors: returns a copy of a model whose graph outputs are the original ones
/// followed by the chosen intermediate tensors, so one ONNX Runtime run yields the final output and every chosen
/// activation. The added outputs carry only their element type (their shape is left unknown, which ORT accepts).
/// </summary>
/// <remarks>
/// Works on float models, QDQ models (the exposed tensors are float) and QOperator models, where the outputs of
/// QLinearConv / QLinearMatMul / QLinearAdd are exposed as they are (UINT8 or INT8); <see cref="ExposedTensor.Scale"/>
/// and <see cref="ExposedTensor.ZeroPoint"/> give their float view, which <see cref="ActivationReader"/> applies.
/// </remarks>
public static class LayerExposer
{
    /// <summary>Operators whose output counts as an activation for <see cref="DefaultTensors"/>.</summary>
    public static IReadOnlySet<string> ActivationOps { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "Tanh", "Clip", "Elu", "Selu", "Celu", "Softplus", "Softsign",
        "HardSwish", "Gelu", "FastGelu", "Mish", "ThresholdedRelu", "Softmax", "LogSoftmax",
        "QLinearLeakyRelu", "QLinearSigmoid", "QLinearSoftmax",
    };

    /// <summary>
    /// The tensors exposed by default: the output of every weighted layer and of every activation node, in graph order.
    /// </summary>
    public static IReadOnlyList<string> DefaultTensors(OnnxModel model)
    {
        var layerOutputs = new HashSet<string>(WeightedLayers.Find(model, readValues: false).Select(l => l.OutputTensor), StringComparer.Ordinal);
        var list = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in model.Graph.Node)
        {
            if (n.Output.Count == 0 || n.Output[0].Length == 0) continue;
            var o = n.Output[0];
            if ((layerOutputs.Contains(o) || ActivationOps.Contains(n.OpType)) && seen.Add(o)) list.Add(o);
        }
        return list;
    }

    /// <summary>Describes the tensors <see cref="Expose(OnnxModel, IEnumerable{string})"/> would add, without changing the model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tensors">Tensor names; null for <see cref="DefaultTensors"/>.</param>
    /// <exception cref="DflareException">A tensor does not exist, is a constant, or its element type cannot be told.</exception>
    public static IReadOnlyList<ExposedTensor> Plan(OnnxModel model, IEnumerable<string>? tensors = null)
    {
        var g = model.Graph;
        var names = (tensors ?? DefaultTensors(model)).Distinct(StringComparer.Ordinal).ToList();
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in g.Node) foreach (var o in n.Output) if (o.Length > 0) producers.TryAdd(o, n);
        var inits = model.InitializersByName();
        var realInputs = new HashSet<string>(model.RealInputs().Select(i => i.Name), StringComparer.Ordinal);
        var outputs = new HashSet<string>(g.Output.Select(o => o.Name), StringComparer.Ordinal);
        var layers = WeightedLayers.Find(model, readValues: false).ToDictionary(l => l.OutputTensor, l => l.Name, StringComparer.Ordinal);
        var types = TensorTypes.Infer(model);
        var result = new List<ExposedTensor>(names.Count);
        foreach (var name in names)
        {
            NodeProto? producer = null;
            if (!realInputs.Contains(name) && !producers.TryGetValue(name, out producer))
            {
                if (inits.ContainsKey(name))
                    throw new DflareException($"Model '{model.Name}': '{name}' is a constant initializer, not an activation; it cannot be exposed.");
                throw new DflareException($"Model '{model.Name}' has no tensor '{name}' (no node produces it and it is not a graph input).");
            }
            if (producer is not null && producer.OpType == "Constant")
                throw new DflareException($"Model '{model.Name}': '{name}' is the output of a Constant node, not an activation; it cannot be exposed.");
            if (!types.TryGetValue(name, out var type))
                throw new DflareException($"Model '{model.Name}': the element type of tensor '{name}' cannot be told, so it cannot be exposed.");
            float? scale = null; int? zeroPoint = null;
            if (producer is not null && OnnxTensors.IntegerBits(type) is not null && QuantParams(producer) is var (si, zi) && si >= 0)
            {
                var zName = zi < producer.Input.Count ? producer.Input[zi] : "";
                var s = Constant(si < producer.Input.Count ? producer.Input[si] : "", inits, producers);
                var z = Constant(zName, inits, producers);
                if (s is { Length: 1 } && (z is { Length: 1 } || (z is null && zName.Length == 0)))
                {
                    scale = s[0];
                    zeroPoint = z is null ? 0 : (int)z[0];
                }
            }
            result.Add(new ExposedTensor
            {
                Name = name, ElementType = OnnxTensors.TypeName(type),
                Producer = producer?.OpType ?? "input", ProducerNode = producer?.Name ?? "",
                Layer = layers.GetValueOrDefault(name), WasOutput = outputs.Contains(name),
                Scale = scale, ZeroPoint = zeroPoint,
            });
        }
        return result;
    }

    /// <summary>
    /// Returns a copy of <paramref name="model"/> whose outputs are its own followed by <paramref name="tensors"/>
    /// (default: <see cref="DefaultTensors"/>). Tensors that already are outputs are not added twice.
    /// </summary>
    /// <exception cref="DflareException">A tensor does not exist, is a constant, or its element type cannot be told.</exception>
    public static OnnxModel Expose(OnnxModel model, IEnumerable<string>? tensors = null) => ExposePlanned(model, Plan(model, tensors));

    /// <summary>Returns a copy of <paramref name="model"/> with the planned tensors (from <see cref="Plan"/>) added as outputs.</summary>
    public static OnnxModel ExposePlanned(OnnxModel model, IReadOnlyList<ExposedTensor> plan)
    {
        var copy = model.Clone($"{model.Name} (exposed)");
        var outputs = new HashSet<string>(copy.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var typeCodes = TensorTypes.Infer(copy);
        foreach (var t in plan)
        {
            if (!outputs.Add(t.Name)) continue;
            var type = typeCodes.TryGetValue(t.Name, out var code) ? code
                : throw new DflareException($"Model '{model.Name}': the element type of tensor '{t.Name}' cannot be told, so it cannot be exposed.");
            copy.Graph.Output.Add(new ValueInfoProto
            {
                Name = t.Name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type } },
            });
        }
        return copy;
    }

    // Inputs holding the output scale and zero point of quantizing operators.
    private static (int Scale, int ZeroPoint)? QuantParams(NodeProto n) => n.OpType switch
    {
        "QuantizeLinear" => (1, 2),
        "QLinearConv" or "QLinearMatMul" or "QLinearAdd" or "QLinearMul" => (6, 7),
        "QLinearGlobalAveragePool" or "QLinearAveragePool" or "QLinearLeakyRelu" or "QLinearSigmoid" or "QLinearSoftmax" => (3, 4),
        "QLinearConcat" => (0, 1),
        _ => null,
    };

    private static float[]? Constant(string name, IReadOnlyDictionary<string, TensorProto> inits, Dictionary<string, NodeProto> producers)
    {
        if (name.Length == 0) return null;
        var t = WeightedLayers.ConstantTensor(name, inits, producers);
        if (t is null) return null;
        try { return OnnxTensors.ToFloats(t); }
        catch (DflareException) { return null; }
    }
}
