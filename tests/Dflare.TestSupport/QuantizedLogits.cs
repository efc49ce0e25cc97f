using Dflare.Onnx;
using Dflare.Onnx.Proto;

namespace Dflare.Tests;

/// <summary>
/// Builds a model whose logits are quantized coarsely: the demo LeNet (<c>src/Dflare.Cli/Demo/fashion-lenet.onnx</c>)
/// with <c>round(logits / step) · step</c> appended to its output, like an int8 model whose last layer is dequantized
/// from a few integer levels. Small input changes mostly leave such logits unchanged (gradient masking).
/// </summary>
public static class QuantizedLogits
{
    /// <summary>The demo float model.</summary>
    public static string DemoModel => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", "fashion-lenet.onnx");

    /// <summary>The demo seed folder (Fashion-MNIST PNGs with labels).</summary>
    public static string DemoSeeds => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", "seeds");

    /// <summary>The demo model with its logits rounded to multiples of <paramref name="step"/>, as ONNX bytes.</summary>
    public static byte[] Build(float step)
    {
        var model = OnnxModel.Load(DemoModel);
        var editor = new GraphEditor(model);
        var output = model.Graph.Output[0].Name;
        var producer = model.Producer(output) ?? throw new InvalidOperationException("The demo model's output has no producer.");
        var raw = editor.Unique(output + "_raw");
        for (int i = 0; i < producer.Output.Count; i++) if (producer.Output[i] == output) producer.Output[i] = raw;
        var stepName = editor.Unique("logit_step");
        editor.AddInitializer(OnnxTensors.FromFloats(stepName, [], [step]));
        string scaled = editor.Unique("logits_scaled"), rounded = editor.Unique("logits_rounded");
        editor.InsertAfter(producer,
            GraphEditor.Node("Div", editor.Unique("quantize_div"), [raw, stepName], [scaled]),
            GraphEditor.Node("Round", editor.Unique("quantize_round"), [scaled], [rounded]),
            GraphEditor.Node("Mul", editor.Unique("quantize_mul"), [rounded, stepName], [output]));
        return model.ToBytes();
    }

    /// <summary>Writes the quantized model and the demo model's preprocessing sidecar into <paramref name="folder"/>; returns the model's path.</summary>
    public static string Write(string folder, float step)
    {
        var path = Path.Combine(folder, "lenet-rounded-logits.onnx");
        File.WriteAllBytes(path, Build(step));
        File.Copy(DemoModel + ".json", path + ".json", overwrite: true);
        return path;
    }
}
