using Dflare.Images;
using Dflare.Models;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

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
        Dequantize(RunOutputs(Classifier, images, Tensors.Select(t => t.Name).ToList()), dequantize);

    /// <summary>
    /// <see cref="Read(IReadOnlyList{Image}, bool)"/> for images given as float pixels (0..255 scale, H×W×C at model
    /// geometry), such as adversarial images that are not whole grey levels.
    /// </summary>
    /// <exception cref="ArgumentException">A pixel buffer does not fit the model.</exception>
    /// <exception cref="DflareException">A tensor has no batch axis.</exception>
    public IReadOnlyDictionary<string, TensorRows> Read(IReadOnlyList<float[]> pixels, bool dequantize = true) =>
        Dequantize(RunOutputs(Classifier, pixels, Tensors.Select(t => t.Name).ToList()), dequantize);

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

    /// <summary>
    /// Runs the images on <paramref name="classifier"/> and returns several outputs at once (e.g. the intermediate
    /// tensors of a model made by <see cref="LayerExposer"/>), each as one row per image converted to float. Batching
    /// is as in <see cref="OnnxClassifier.PredictScores(IReadOnlyList{Image})"/>: fixed-batch models get padded
    /// batches whose padding rows are dropped. Images are counted as queries.
    /// </summary>
    /// <param name="classifier">The model to run.</param>
    /// <param name="images">The images (brought to the model's geometry by <see cref="OnnxClassifier.Prepare(Image)"/> when needed).</param>
    /// <param name="outputNames">Outputs to fetch; each must be a graph output of the model.</param>
    /// <exception cref="DflareException">An output does not exist, or has no batch axis while several images go in one run.</exception>
    public static IReadOnlyDictionary<string, TensorRows> RunOutputs(OnnxClassifier classifier, IReadOnlyList<Image> images, IReadOnlyList<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(images);
        return RunOutputs(classifier, images.Count, (i, dst) => classifier.Encoder.Normalize<byte>(classifier.Prepare(images[i]).Pixels, dst), outputNames);
    }

    /// <summary>
    /// <see cref="RunOutputs(OnnxClassifier, IReadOnlyList{Image}, IReadOnlyList{string})"/> for images given as float
    /// pixels (0..255 scale, H×W×C at model geometry, as for <see cref="OnnxClassifier.PredictScores(IReadOnlyList{float[]})"/>),
    /// e.g. adversarial images that are not whole grey levels.
    /// </summary>
    /// <param name="classifier">The model to run.</param>
    /// <param name="pixels">The images as float pixels.</param>
    /// <param name="outputNames">Outputs to fetch; each must be a graph output of the model.</param>
    /// <exception cref="ArgumentException">A pixel buffer does not have <see cref="ModelInfo.ImageLength"/> values.</exception>
    /// <exception cref="DflareException">An output does not exist, or has no batch axis while several images go in one run.</exception>
    public static IReadOnlyDictionary<string, TensorRows> RunOutputs(OnnxClassifier classifier, IReadOnlyList<float[]> pixels, IReadOnlyList<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(pixels);
        classifier.CheckPixels(pixels);
        return RunOutputs(classifier, pixels.Count, (i, dst) => classifier.Encoder.Normalize<float>(pixels[i], dst), outputNames);
    }

    private static IReadOnlyDictionary<string, TensorRows> RunOutputs(OnnxClassifier clf, int n, Action<int, Span<float>> fill, IReadOnlyList<string> outputNames)
    {
        var outputs = clf.Session.OutputMetadata;
        foreach (var name in outputNames)
            if (!outputs.ContainsKey(name))
                throw new DflareException($"Model '{clf.Path}' has no output '{name}'; its outputs are: {string.Join(", ", outputs.Keys)}.");
        var names = outputNames.ToArray();
        var rows = names.Select(_ => new float[n][]).ToArray();
        var shapes = new int[names.Length][];
        var types = new string[names.Length];
        clf.Runner.RunBatches(n, fill, names, (results, start, real, batch) =>
        {
            for (int k = 0; k < names.Length; k++)
            {
                var value = results[k];
                var ts = value.GetTensorTypeAndShape();
                var all = ToFloats(value, ts.ElementDataType, names[k]);
                var dims = ts.Shape;
                int[] perImage;
                if (dims.Length > 0 && dims[0] == batch) perImage = dims.Skip(1).Select(d => (int)d).ToArray();
                else if (batch == 1) perImage = dims.Select(d => (int)d).ToArray();
                else throw new DflareException($"Model '{clf.Path}': output '{names[k]}' has shape [{string.Join(",", dims)}], which has no batch axis of {batch}; read it one image at a time.");
                int row = batch == 0 ? 0 : all.Length / batch;
                for (int i = 0; i < real; i++) rows[k][start + i] = all.AsSpan(i * row, row).ToArray();
                shapes[k] = perImage;
                types[k] = ts.ElementDataType.ToString();
            }
        });
        clf.CountQueries(n);
        var result = new Dictionary<string, TensorRows>(StringComparer.Ordinal);
        for (int k = 0; k < names.Length; k++)
            result[names[k]] = new TensorRows(names[k], types[k] ?? "Float", shapes[k] ?? [], rows[k]);
        return result;
    }

    private static float[] ToFloats(OrtValue value, TensorElementType type, string name)
    {
        switch (type)
        {
            case TensorElementType.Float: return value.GetTensorDataAsSpan<float>().ToArray();
            case TensorElementType.UInt8: return Convert(value.GetTensorDataAsSpan<byte>(), v => v);
            case TensorElementType.Int8: return Convert(value.GetTensorDataAsSpan<sbyte>(), v => v);
            case TensorElementType.Int16: return Convert(value.GetTensorDataAsSpan<short>(), v => v);
            case TensorElementType.UInt16: return Convert(value.GetTensorDataAsSpan<ushort>(), v => v);
            case TensorElementType.Int32: return Convert(value.GetTensorDataAsSpan<int>(), v => v);
            case TensorElementType.Int64: return Convert(value.GetTensorDataAsSpan<long>(), v => v);
            case TensorElementType.Double: return Convert(value.GetTensorDataAsSpan<double>(), v => (float)v);
            case TensorElementType.Bool: return Convert(value.GetTensorDataAsSpan<bool>(), v => v ? 1f : 0f);
            case TensorElementType.Float16: return Convert(value.GetTensorDataAsSpan<Float16>(), v => (float)v);
            default: throw new DflareException($"Output '{name}' has element type {type}, which cannot be read as numbers.");
        }
    }

    private static float[] Convert<T>(ReadOnlySpan<T> src, Func<T, float> f)
    {
        var r = new float[src.Length];
        for (int i = 0; i < r.Length; i++) r[i] = f(src[i]);
        return r;
    }

    /// <summary>Disposes the session of the exposed model.</summary>
    public void Dispose() => Classifier.Dispose();
}
