using Dflare.Onnx;

namespace Dflare.Compression;

/// <summary>
/// <c>fp16</c>: the weights (and constant biases) of every float weighted layer are stored as FLOAT16 initializers and
/// turned back into float by Cast nodes, halving their size in the file; the computation stays float.
/// </summary>
public sealed class Float16Weights : ICompressionMethod
{
    /// <inheritdoc />
    public string Name => "fp16";

    /// <inheritdoc />
    public string Description => "weights stored as float16, with Cast back to float";

    /// <inheritdoc />
    public CompressionOutcome Apply(OnnxModel model, CompressionContext context)
    {
        var layers = WeightEditing.FloatLayers(model, Name);
        var notes = new List<string>();
        if (model.OpsetVersion() < 6)
        {
            OpsetUpgrade.Upgrade(model, 6);
            notes.Add("default-domain opset raised to 6 for Cast");
        }
        var editor = new GraphEditor(model);
        editor.AllowFreeInitializers();
        var done = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in layers)
        {
            var weight = WeightEditing.Materialize(editor, r);
            Convert(editor, r, weight, done);
            if (r.Layer.BiasSource is { } b && model.FindInitializer(b) is { DataType: 1 } && r.Node.Input.Contains(b))
                Convert(editor, r, b, done);
        }
        return new CompressionOutcome(layers.Select(r => r.Layer.Name).ToList(), notes);
    }

    private static void Convert(GraphEditor editor, LayerRef r, string initializer, Dictionary<string, string> done)
    {
        var model = editor.Model;
        if (done.TryGetValue(initializer, out var prior))
        {
            for (int i = 0; i < r.Node.Input.Count; i++) if (r.Node.Input[i] == initializer) r.Node.Input[i] = prior;
            return;
        }
        var t = model.Initializer(initializer);
        var values = OnnxTensors.ToFloats(t);
        foreach (var v in values)
            if (float.IsFinite(v) && Math.Abs(v) > (float)Half.MaxValue)
                throw new DflareException($"Model '{model.Name}': layer '{r.Layer.Name}' has a value {v} in '{initializer}' beyond the float16 range (±65504); fp16 cannot store it.");
        var half = editor.Unique(initializer + "_fp16");
        var back = editor.Unique(initializer + "_fp32");
        editor.AddInitializer(OnnxTensors.FromFloatsAsFloat16(half, t.Dims, values));
        var cast = GraphEditor.Node("Cast", editor.Unique(r.Layer.Name + "/" + initializer + "/Cast"), [half], [back],
            GraphEditor.IntAttribute("to", 1));
        editor.InsertBefore(WeightEditing.FirstReader(model, initializer) ?? r.Node, cast);
        editor.RewireConsumers(initializer, back, cast);
        editor.RemoveInitializerIfUnused(initializer);
        done[initializer] = back;
    }
}
