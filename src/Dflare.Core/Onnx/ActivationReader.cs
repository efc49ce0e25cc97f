using Dflare.Images;
using Dflare.Models;

namespace Dflare.Onnx;

/// <summary>
/// Reads per-layer activations in one ONNX Runtime run per batch: builds the exposed-layer model
/// (<see cref="LayerExposer"/>), opens it as an <see cref="OnnxClassifier"/> (same preprocessing and batching as the
/// original, fixed-batch padding included) and returns every exposed tensor as float rows, one per image.
/// Integer activations of QOperator models are dequantized with their scale and zero point when those are known.
/// </summary>
public sealed class ActivationReader : IDisposable
{
    private ActivationReader(OnnxClassifier classifier, IReadOnlyList<ExposedTensor> tensors, OnnxModel exposed)
    {
        Classifier = classifier;
        Tensors = tensors;
        ExposedModel = exposed;
    }

    /// <summary>The classifier over the exposed model (its main output is the original model's first output).</summary>
    public OnnxClassifier Classifier { get; }

    /// <summary>The tensors read, in order.</summary>
    public IReadOnlyList<ExposedTensor> Tensors { get; }

    /// <summary>The exposed-layer model.</summary>
    public OnnxModel ExposedModel { get; }

    /// <summary>Creates a reader for <paramref name="tensors"/> (default: <see cref="LayerExposer.DefaultTensors"/>).</summary>
    /// <param name="model">The model (not changed).</param>
    /// <param name="options">Preprocessing options, as for <see cref="OnnxClassifier.Load"/>.</param>
    /// <param name="tensors">Tensor names to read; null for the default set.</param>
    /// <param name="disableOptimizations">Run without ONNX Runtime's graph optimisations, so every tensor is computed as the graph writes it (no fusion).</param>
    /// <exception cref="DflareException">A tensor cannot be exposed, or the model cannot be run as an image classifier.</exception>
    public static ActivationReader Create(OnnxModel model, ModelOptions? options = null, IEnumerable<string>? tensors = null, bool disableOptimizations = false)
    {
        var plan = LayerExposer.Plan(model, tensors);
        var exposed = LayerExposer.ExposePlanned(model, plan);
        var clf = OnnxClassifier.FromBytes(exposed.ToBytes(), model.Name, options, disableOptimizations);
        return new ActivationReader(clf, plan, exposed);
    }

    /// <summary>
    /// Runs the images and returns each exposed tensor by name. With <paramref name="dequantize"/> (default), integer
    /// tensors with a known scale and zero point come back as their float values (element type reported as <c>Float</c>).
    /// </summary>
    /// <exception cref="DflareException">An image does not fit the model, or a tensor has no batch axis.</exception>
    public IReadOnlyDictionary<string, TensorRows> Read(IReadOnlyList<Image> images, bool dequantize = true) =>
        Dequantize(Classifier.RunOutputs(images, Tensors.Select(t => t.Name).ToList()), dequantize);

    /// <summary>
    /// <see cref="Read(IReadOnlyList{Image}, bool)"/> for images given as float pixels (0..255 scale, H×W×C at model
    /// geometry), such as adversarial images that are not whole grey levels.
    /// </summary>
    /// <exception cref="ArgumentException">A pixel buffer does not fit the model.</exception>
    /// <exception cref="DflareException">A tensor has no batch axis.</exception>
    public IReadOnlyDictionary<string, TensorRows> Read(IReadOnlyList<float[]> pixels, bool dequantize = true) =>
        Dequantize(Classifier.RunOutputs(pixels, Tensors.Select(t => t.Name).ToList()), dequantize);

    private IReadOnlyDictionary<string, TensorRows> Dequantize(IReadOnlyDictionary<string, TensorRows> raw, bool dequantize)
    {
        if (!dequantize) return raw;
        var result = new Dictionary<string, TensorRows>(StringComparer.Ordinal);
        foreach (var t in Tensors)
        {
            var rows = raw[t.Name];
            if (t.CanDequantize)
            {
                float s = t.Scale!.Value; int z = t.ZeroPoint!.Value;
                var deq = rows.Rows.Select(r => r.Select(q => (q - z) * s).ToArray()).ToArray();
                rows = rows with { ElementType = "Float", Rows = deq };
            }
            result[t.Name] = rows;
        }
        return result;
    }

    /// <summary>Disposes the session of the exposed model.</summary>
    public void Dispose() => Classifier.Dispose();
}
