using Dflare.Onnx.Proto;

namespace Dflare.Onnx;

/// <summary>A graph input or output: name, element type and shape (numbers, symbolic names, or <c>?</c>).</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="ElementType">Element type, e.g. <c>FLOAT</c>.</param>
/// <param name="Shape">One entry per axis: a number, a symbolic name such as <c>N</c>, or <c>?</c>; null when the shape is unknown.</param>
public sealed record TensorSignature(string Name, string ElementType, IReadOnlyList<string>? Shape)
{
    /// <summary>Formats the signature as <c>input FLOAT [N,1,28,28]</c>.</summary>
    public override string ToString() => $"{Name} {ElementType} {(Shape is null ? "(shape unknown)" : "[" + string.Join(",", Shape) + "]")}";

    /// <summary>Reads the signature of a value info.</summary>
    public static TensorSignature Of(ValueInfoProto v)
    {
        var tt = v.Type?.TensorType;
        if (tt is null) return new TensorSignature(v.Name, v.Type is null ? "?" : v.Type.ValueCase.ToString(), null);
        IReadOnlyList<string>? shape = tt.Shape is null ? null : tt.Shape.Dim.Select(d =>
            d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && d.DimParam.Length > 0 ? d.DimParam : "?").ToList();
        return new TensorSignature(v.Name, OnnxTensors.TypeName(tt.ElemType), shape);
    }
}

/// <summary>An imported operator set.</summary>
/// <param name="Domain">The domain (<c>ai.onnx</c> for the default one).</param>
/// <param name="Version">The imported version.</param>
public sealed record OpsetImport(string Domain, long Version);

/// <summary>How often an operator occurs in the main graph.</summary>
/// <param name="Operator">The op type, prefixed with its domain and a colon outside the default domain (e.g. <c>com.microsoft:QLinearAdd</c>).</param>
/// <param name="Count">Number of nodes.</param>
public sealed record OperatorCount(string Operator, int Count);

/// <summary>What <c>dflare inspect</c> reports about a model; usable from code and serializable to JSON.</summary>
public sealed record ModelReport
{
    /// <summary>The model's path or display name.</summary>
    public required string Path { get; init; }
    /// <summary>File size in bytes (null for an in-memory model).</summary>
    public long? FileBytes { get; init; }
    /// <summary>The IR version.</summary>
    public required long IrVersion { get; init; }
    /// <summary>Producer name and version, e.g. <c>pytorch 2.5.0</c>.</summary>
    public required string Producer { get; init; }
    /// <summary>Imported operator sets.</summary>
    public required IReadOnlyList<OpsetImport> Opsets { get; init; }
    /// <summary>The inputs fed at run time (weights listed as inputs by old models are left out).</summary>
    public required IReadOnlyList<TensorSignature> Inputs { get; init; }
    /// <summary>The graph outputs.</summary>
    public required IReadOnlyList<TensorSignature> Outputs { get; init; }
    /// <summary>Number of nodes in the main graph.</summary>
    public required int Nodes { get; init; }
    /// <summary>Operator histogram, most frequent first (ties by name).</summary>
    public required IReadOnlyList<OperatorCount> Operators { get; init; }
    /// <summary>Number of initializers.</summary>
    public required int Initializers { get; init; }
    /// <summary>Total number of values in all initializers.</summary>
    public required long InitializerValues { get; init; }
    /// <summary>The weighted layers, in graph order.</summary>
    public required IReadOnlyList<WeightedLayer> Layers { get; init; }
    /// <summary>Parameters (weights and biases) of the weighted layers.</summary>
    public long LayerParameters => Layers.Sum(l => l.Parameters);
    /// <summary>
    /// How the weighted layers hold their weights: <c>float</c>, <c>QDQ</c>, <c>QOperator</c>, <c>float16</c>, several
    /// joined with <c>+</c>, or <c>none</c> without weighted layers.
    /// </summary>
    public required string WeightFormat { get; init; }

    /// <summary>Number of weighted layers per operator, e.g. <c>{Conv: 9, Gemm: 1}</c>.</summary>
    public IReadOnlyDictionary<string, int> LayerCounts =>
        Layers.GroupBy(l => l.OpType).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}

/// <summary>Builds a <see cref="ModelReport"/> for a model.</summary>
public static class ModelInspector
{
    /// <summary>Loads and inspects a model file.</summary>
    /// <exception cref="DflareException">The file is missing or not a supported ONNX model.</exception>
    public static ModelReport Inspect(string path)
    {
        var model = OnnxModel.Load(path);
        return Inspect(model) with { FileBytes = new FileInfo(path).Length };
    }

    /// <summary>Inspects an in-memory model.</summary>
    public static ModelReport Inspect(OnnxModel model)
    {
        var g = model.Graph;
        var ops = g.Node
            .GroupBy(n => OnnxModel.NormalizeDomain(n.Domain) is { Length: > 0 } d ? $"{d}:{n.OpType}" : n.OpType)
            .Select(x => new OperatorCount(x.Key, x.Count()))
            .OrderByDescending(x => x.Count).ThenBy(x => x.Operator, StringComparer.Ordinal).ToList();
        var layers = WeightedLayers.Find(model);
        var formats = layers.Select(l => l.Storage switch
        {
            WeightStorage.QuantizedOperator => "QOperator",
            WeightStorage.DequantizeLinear => "QDQ",
            WeightStorage.Cast => l.WeightType == "FLOAT16" ? "float16" : l.WeightType.ToLowerInvariant(),
            _ => l.WeightType == "FLOAT" ? "float" : l.WeightType.ToLowerInvariant(),
        }).Distinct().ToList();
        return new ModelReport
        {
            Path = model.Name,
            IrVersion = model.Proto.IrVersion,
            Producer = $"{model.Proto.ProducerName} {model.Proto.ProducerVersion}".Trim(),
            Opsets = model.Proto.OpsetImport
                .Select(o => new OpsetImport(OnnxModel.NormalizeDomain(o.Domain) is { Length: > 0 } d ? d : "ai.onnx", o.Version)).ToList(),
            Inputs = model.RealInputs().Select(TensorSignature.Of).ToList(),
            Outputs = g.Output.Select(TensorSignature.Of).ToList(),
            Nodes = g.Node.Count,
            Operators = ops,
            Initializers = g.Initializer.Count,
            InitializerValues = g.Initializer.Sum(OnnxTensors.ElementCount),
            Layers = layers,
            WeightFormat = formats.Count == 0 ? "none" : string.Join("+", formats),
        };
    }
}
