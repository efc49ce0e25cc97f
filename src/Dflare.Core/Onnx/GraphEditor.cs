using Dflare.Onnx.Proto;

namespace Dflare.Onnx;

/// <summary>
/// Small graph-surgery helpers over one <see cref="OnnxModel"/>: fresh unique names, adding and removing
/// initializers, inserting nodes while keeping the topological order, and rewiring inputs.
/// </summary>
public sealed class GraphEditor
{
    private readonly HashSet<string> _names;

    /// <summary>Starts editing <paramref name="model"/> (changed in place).</summary>
    public GraphEditor(OnnxModel model)
    {
        Model = model;
        _names = model.UsedNames();
    }

    /// <summary>The model being edited.</summary>
    public OnnxModel Model { get; }

    private GraphProto Graph => Model.Graph;

    /// <summary>A name not yet used for any tensor or node: <paramref name="baseName"/>, or it with a numeric suffix.</summary>
    public string Unique(string baseName)
    {
        var name = baseName;
        for (int k = 2; !_names.Add(name); k++) name = $"{baseName}_{k}";
        return name;
    }

    /// <summary>
    /// Makes the model accept initializers that are not graph inputs: models before IR version 4 list every
    /// initializer as a graph input; this raises the IR version to 4 and drops those entries (the inputs a user feeds
    /// stay as they are).
    /// </summary>
    public void AllowFreeInitializers()
    {
        if (Model.Proto.IrVersion >= 4) return;
        Model.Proto.IrVersion = 4;
        DropInitializerInputs();
    }

    /// <summary>Removes graph inputs that only name an initializer.</summary>
    public void DropInitializerInputs()
    {
        var inits = new HashSet<string>(Graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        for (int i = Graph.Input.Count - 1; i >= 0; i--)
            if (inits.Contains(Graph.Input[i].Name)) Graph.Input.RemoveAt(i);
    }

    /// <summary>Adds an initializer (its name must come from <see cref="Unique"/> or be otherwise unused).</summary>
    public void AddInitializer(TensorProto tensor)
    {
        _names.Add(tensor.Name);
        Graph.Initializer.Add(tensor);
    }

    /// <summary>True when a node or a graph output reads <paramref name="tensor"/>.</summary>
    public bool IsUsed(string tensor) =>
        Graph.Node.Any(n => n.Input.Contains(tensor)) || Graph.Output.Any(o => o.Name == tensor);

    /// <summary>Removes the initializer (and a graph input or value info of the same name) when nothing reads it any more.</summary>
    public void RemoveInitializerIfUnused(string name)
    {
        if (IsUsed(name)) return;
        for (int i = Graph.Initializer.Count - 1; i >= 0; i--) if (Graph.Initializer[i].Name == name) Graph.Initializer.RemoveAt(i);
        for (int i = Graph.Input.Count - 1; i >= 0; i--) if (Graph.Input[i].Name == name) Graph.Input.RemoveAt(i);
        for (int i = Graph.ValueInfo.Count - 1; i >= 0; i--) if (Graph.ValueInfo[i].Name == name) Graph.ValueInfo.RemoveAt(i);
    }

    /// <summary>Removes <paramref name="node"/> when none of its outputs is read; returns whether it was removed.</summary>
    public bool RemoveNodeIfUnused(NodeProto node)
    {
        if (node.Output.Any(o => o.Length > 0 && IsUsed(o))) return false;
        Graph.Node.Remove(node);
        foreach (var o in node.Output)
            for (int i = Graph.ValueInfo.Count - 1; i >= 0; i--) if (Graph.ValueInfo[i].Name == o) Graph.ValueInfo.RemoveAt(i);
        return true;
    }

    /// <summary>Inserts <paramref name="nodes"/> right before <paramref name="anchor"/>.</summary>
    public void InsertBefore(NodeProto anchor, params NodeProto[] nodes)
    {
        int at = Graph.Node.IndexOf(anchor);
        if (at < 0) throw new ArgumentException("The anchor node is not in the graph.", nameof(anchor));
        for (int k = 0; k < nodes.Length; k++) Graph.Node.Insert(at + k, Named(nodes[k]));
    }

    /// <summary>Inserts <paramref name="nodes"/> right after <paramref name="anchor"/>, or at the start of the graph when it is null.</summary>
    public void InsertAfter(NodeProto? anchor, params NodeProto[] nodes)
    {
        int at = anchor is null ? 0 : Graph.Node.IndexOf(anchor) + 1;
        if (anchor is not null && at == 0) throw new ArgumentException("The anchor node is not in the graph.", nameof(anchor));
        for (int k = 0; k < nodes.Length; k++) Graph.Node.Insert(at + k, Named(nodes[k]));
    }

    private NodeProto Named(NodeProto n)
    {
        foreach (var o in n.Output) _names.Add(o);
        if (n.HasName) _names.Add(n.Name);
        return n;
    }

    /// <summary>Creates a node (not yet inserted).</summary>
    public static NodeProto Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = opType, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    /// <summary>An INT attribute.</summary>
    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>Replaces every read of <paramref name="from"/> by <paramref name="to"/>, except in the nodes listed in <paramref name="except"/>.</summary>
    public void RewireConsumers(string from, string to, params NodeProto[] except)
    {
        foreach (var n in Graph.Node)
        {
            if (except.Contains(n)) continue;
            for (int i = 0; i < n.Input.Count; i++) if (n.Input[i] == from) n.Input[i] = to;
        }
    }
}
