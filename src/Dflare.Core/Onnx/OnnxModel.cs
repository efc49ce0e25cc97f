using Dflare.Onnx.Proto;
using Google.Protobuf;

namespace Dflare.Onnx;

/// <summary>
/// An ONNX model held as its protobuf <see cref="ModelProto"/>, for inspection and surgery. Loading keeps every
/// field, including those this project's schema does not model (they are carried as unknown fields), so
/// load → save → load gives the same graph. Models whose tensors live in external data files are refused.
/// </summary>
/// <remarks>
/// The wrapper is mutable through <see cref="Proto"/>; lookups (<see cref="FindInitializer"/>, <see cref="Producer"/>,
/// <see cref="Consumers"/>) scan the graph on each call, so they always see the current state.
/// </remarks>
public sealed class OnnxModel
{
    /// <summary>The ONNX default operator domain as written in files (the empty string; <c>ai.onnx</c> is the same).</summary>
    public const string DefaultDomain = "";

    private OnnxModel(ModelProto proto, string name)
    {
        Proto = proto;
        Name = name;
    }

    /// <summary>The model message (mutable).</summary>
    public ModelProto Proto { get; }

    /// <summary>The main graph.</summary>
    public GraphProto Graph => Proto.Graph;

    /// <summary>The file path the model was loaded from, or a display name; used in error messages.</summary>
    public string Name { get; }

    /// <summary>Loads a model file.</summary>
    /// <exception cref="DflareException">The file is missing, is not an ONNX model, or keeps tensors in external data files.</exception>
    public static OnnxModel Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new DflareException($"Model file '{path}' does not exist."); }
        catch (DirectoryNotFoundException) { throw new DflareException($"Model file '{path}' does not exist."); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DflareException($"Model file '{path}' cannot be read: {e.Message}", e); }
        return FromBytes(bytes, path);
    }

    /// <summary>Parses a model from its serialized bytes; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="DflareException">The bytes are not an ONNX model, or it keeps tensors in external data files.</exception>
    public static OnnxModel FromBytes(byte[] bytes, string name)
    {
        if (bytes.Length == 0) throw new DflareException($"Model file '{name}' is empty.");
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new DflareException($"Model file '{name}' is not a valid ONNX model (truncated, corrupt, or another format): {e.Message}", e);
        }
        if (!proto.HasIrVersion || proto.Graph is null || proto.Graph.Node.Count == 0)
            throw new DflareException($"Model file '{name}' is not an ONNX model (it has no IR version or no graph nodes).");
        var model = new OnnxModel(proto, name);
        foreach (var t in model.AllTensors())
        {
            if (!OnnxTensors.IsExternal(t)) continue;
            var location = t.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value ?? "?";
            throw new DflareException(
                $"Model file '{name}' keeps tensor '{t.Name}' in the external data file '{location}'; models with external data are not supported. " +
                "Save the model with all tensors inside the .onnx file (e.g. onnx.save_model(model, path, save_as_external_data=False)).");
        }
        return model;
    }

    /// <summary>Wraps an existing model message (not copied); <paramref name="name"/> is used in error messages.</summary>
    public static OnnxModel FromProto(ModelProto proto, string name)
    {
        ArgumentNullException.ThrowIfNull(proto);
        proto.Graph ??= new GraphProto();
        return new OnnxModel(proto, name);
    }

    /// <summary>A deep copy, optionally under another name.</summary>
    public OnnxModel Clone(string? name = null) => new(Proto.Clone(), name ?? Name);

    /// <summary>The serialized model.</summary>
    public byte[] ToBytes() => Proto.ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/> atomically (temporary file in the same folder, then rename).</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, ToBytes());

    /// <summary>The version imported for an operator domain (<c>""</c> / <c>ai.onnx</c> for the default one), or 0 when not imported.</summary>
    public long OpsetVersion(string domain = DefaultDomain)
    {
        var d = NormalizeDomain(domain);
        return Proto.OpsetImport.Where(o => NormalizeDomain(o.Domain) == d).Select(o => o.Version).DefaultIfEmpty(0).Max();
    }

    /// <summary>Sets the imported version of an operator domain, adding the import when missing.</summary>
    public void SetOpsetVersion(long version, string domain = DefaultDomain)
    {
        var d = NormalizeDomain(domain);
        var existing = Proto.OpsetImport.Where(o => NormalizeDomain(o.Domain) == d).ToList();
        if (existing.Count == 0) Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        foreach (var o in existing) o.Version = version;
    }

    /// <summary>Maps <c>ai.onnx</c> to the empty string (both name the default domain).</summary>
    public static string NormalizeDomain(string? domain) => string.IsNullOrEmpty(domain) || domain == "ai.onnx" ? "" : domain;

    /// <summary>The initializer named <paramref name="name"/>, or null.</summary>
    public TensorProto? FindInitializer(string name)
    {
        foreach (var t in Graph.Initializer) if (t.Name == name) return t;
        return null;
    }

    /// <summary>The initializer named <paramref name="name"/>.</summary>
    /// <exception cref="DflareException">There is none.</exception>
    public TensorProto Initializer(string name) =>
        FindInitializer(name) ?? throw new DflareException($"Model '{Name}' has no initializer '{name}'.");

    /// <summary>All initializers by name (a snapshot of the current graph).</summary>
    public IReadOnlyDictionary<string, TensorProto> InitializersByName()
    {
        var d = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in Graph.Initializer) d.TryAdd(t.Name, t);
        return d;
    }

    /// <summary>
    /// The graph inputs that are fed at run time: those without an initializer of the same name (models before
    /// IR version 4 list their weights as inputs too).
    /// </summary>
    public IReadOnlyList<ValueInfoProto> RealInputs()
    {
        var inits = new HashSet<string>(Graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        return Graph.Input.Where(i => !inits.Contains(i.Name)).ToList();
    }

    /// <summary>The node that produces tensor <paramref name="tensor"/>, or null (graph input, initializer or unknown).</summary>
    public NodeProto? Producer(string tensor)
    {
        foreach (var n in Graph.Node) if (n.Output.Contains(tensor)) return n;
        return null;
    }

    /// <summary>The nodes that read tensor <paramref name="tensor"/>, with the input position, in graph order.</summary>
    public IReadOnlyList<(NodeProto Node, int Input)> Consumers(string tensor)
    {
        var list = new List<(NodeProto, int)>();
        foreach (var n in Graph.Node)
            for (int i = 0; i < n.Input.Count; i++)
                if (n.Input[i] == tensor) list.Add((n, i));
        return list;
    }

    /// <summary>True when <paramref name="tensor"/> is one of the graph's outputs.</summary>
    public bool IsGraphOutput(string tensor) => Graph.Output.Any(o => o.Name == tensor);

    /// <summary>Every name in use in the graph: tensors (inputs, outputs, initializers, node outputs, value infos) and nodes.</summary>
    public HashSet<string> UsedNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in Graph.Input) names.Add(v.Name);
        foreach (var v in Graph.Output) names.Add(v.Name);
        foreach (var v in Graph.ValueInfo) names.Add(v.Name);
        foreach (var t in Graph.Initializer) names.Add(t.Name);
        foreach (var n in Graph.Node)
        {
            if (n.HasName) names.Add(n.Name);
            foreach (var o in n.Output) names.Add(o);
            foreach (var i in n.Input) names.Add(i);
        }
        return names;
    }

    /// <summary>Every tensor in the model: initializers and tensor attributes, also in sub-graphs.</summary>
    public IEnumerable<TensorProto> AllTensors() => Tensors(Graph);

    private static IEnumerable<TensorProto> Tensors(GraphProto g)
    {
        foreach (var t in g.Initializer) yield return t;
        foreach (var s in g.SparseInitializer)
        {
            if (s.Values is { } v) yield return v;
            if (s.Indices is { } i) yield return i;
        }
        foreach (var n in g.Node)
            foreach (var a in n.Attribute)
            {
                if (a.T is { } t) yield return t;
                foreach (var tt in a.Tensors) yield return tt;
                if (a.G is { } sub) foreach (var x in Tensors(sub)) yield return x;
                foreach (var sg in a.Graphs) foreach (var x in Tensors(sg)) yield return x;
            }
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
