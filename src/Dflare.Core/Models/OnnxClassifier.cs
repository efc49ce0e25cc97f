using System.Buffers;
using Dflare.Images;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Dflare.Models;

/// <summary>
/// An image classifier over one ONNX Runtime session. Takes batches of images, returns one probability vector
/// per image, and counts the images it has evaluated (<see cref="Queries"/>). Thread-safe: several threads may
/// call <see cref="Predict(IReadOnlyList{Image})"/> at once on the same instance.
/// </summary>
/// <remarks>
/// Batches are split to <see cref="ModelInfo.MaxBatch"/>; a model with a fixed batch gets full batches, a short one
/// padded (the padding is dropped and not counted as queries). Images are brought to the model's geometry by
/// <see cref="Prepare(Image)"/> (resize/crop from the preprocessing options, channel conversion) when they are not
/// already there.
/// </remarks>
public sealed class OnnxClassifier : IDisposable
{
    private readonly InferenceSession _session;
    private static readonly RunOptions RunOptions = new(); // read-only settings, safe to share between runs
    private readonly bool _ownsSession;
    private readonly float[] _scale; // per channel: Scale / Std
    private readonly float[] _offset; // per channel: -Mean / Std
    private long _queries;
    private long _runs;

    private OnnxClassifier(InferenceSession session, bool ownsSession, ModelInfo info)
    {
        _session = session;
        _ownsSession = ownsSession;
        Info = info;
        var p = info.Preprocessing;
        _scale = new float[info.Channels];
        _offset = new float[info.Channels];
        for (int c = 0; c < info.Channels; c++)
        {
            _scale[c] = (float)(p.Scale / p.Std[c]);
            _offset[c] = (float)(-p.Mean[c] / p.Std[c]);
        }
    }

    /// <summary>What was resolved about the model's input, output and preprocessing.</summary>
    public ModelInfo Info { get; }

    /// <summary>The model file path (or display name).</summary>
    public string Path => Info.Path;

    /// <summary>Number of classes.</summary>
    public int Classes => Info.Classes;

    /// <summary>Images evaluated so far (padding excluded).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>ONNX Runtime runs so far (one per batch sent).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>The underlying session (shared; do not dispose).</summary>
    public InferenceSession Session => _session;

    /// <summary>
    /// Loads a model file. Options are resolved as: explicit <paramref name="options"/> over the sidecar
    /// <c>MODEL.onnx.json</c> over what the model declares. The session comes from <see cref="SessionCache.Shared"/>,
    /// so loading the same file twice is cheap.
    /// </summary>
    /// <exception cref="DflareException">The file is missing, not ONNX, or not an image classifier this can feed.</exception>
    public static OnnxClassifier Load(string path, ModelOptions? options = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new DflareException($"Model file '{path}' does not exist.");
        var merged = ModelOptions.ForModel(full, options);
        var session = SessionCache.Shared.Get(full, merged.IntraOpThreads);
        return Create(session, ownsSession: false, path, merged, ModelOptions.Sources(full, options));
    }

    /// <summary>Creates a classifier over an in-memory model (e.g. one made by model surgery); it owns its session.</summary>
    /// <param name="model">The serialized model.</param>
    /// <param name="displayName">Name used in messages.</param>
    /// <param name="options">Preprocessing options.</param>
    /// <param name="disableOptimizations">Run the graph without ONNX Runtime's graph optimisations (see <see cref="SessionCache.CreateSession(byte[], string, int?, bool)"/>).</param>
    /// <exception cref="DflareException">The bytes are not a valid model or not an image classifier this can feed.</exception>
    public static OnnxClassifier FromBytes(byte[] model, string displayName, ModelOptions? options = null, bool disableOptimizations = false)
    {
        var session = SessionCache.CreateSession(model, displayName, options?.IntraOpThreads, disableOptimizations);
        var o = options ?? new ModelOptions();
        try { return Create(session, ownsSession: true, displayName, o, o.Fields().Where(f => f.Value is not null).ToDictionary(f => f.Name, _ => "option")); }
        catch { session.Dispose(); throw; }
    }

    private static OnnxClassifier Create(InferenceSession session, bool ownsSession, string path, ModelOptions o, IReadOnlyDictionary<string, string> sources)
    {
        var info = Resolve(session, path, o, out var needsProbe) with { Sources = sources };
        var clf = new OnnxClassifier(session, ownsSession, info);
        if (needsProbe)
        {
            // Decide logits vs probabilities from one row on a mid-grey image (not counted as a query).
            var probe = new Image(info.Width, info.Height, info.Channels);
            Array.Fill(probe.Pixels, (byte)128);
            float[] row;
            try { row = clf.RunRaw([probe.Pixels], count: false)[0]; }
            catch (NonFiniteOutputException e) { throw e.OnProbe(); }
            double sum = 0; bool nonNegative = true;
            foreach (var v in row) { sum += v; if (v < 0) nonNegative = false; }
            var kind = nonNegative && Math.Abs(sum - 1) <= 1e-3 ? OutputKind.Probabilities : OutputKind.Logits;
            clf = new OnnxClassifier(session, ownsSession, info with { OutputKind = kind });
        }
        return clf;
    }

    private static ModelInfo Resolve(InferenceSession s, string path, ModelOptions o, out bool needsProbe)
    {
        var inputs = s.InputMetadata; // ORT leaves out inputs that have an initializer (pre-IR-4 weights)
        string inputName;
        if (o.Input is { } wanted)
        {
            if (!inputs.ContainsKey(wanted))
                throw new DflareException($"Model '{path}' has no input '{wanted}'; its inputs are: {string.Join(", ", inputs.Keys)}.");
            inputName = wanted;
        }
        else if (inputs.Count == 1) inputName = inputs.Keys.First();
        else if (inputs.Count == 0) throw new DflareException($"Model '{path}' has no inputs.");
        else throw new DflareException($"Model '{path}' has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); choose the image input with --input / \"input\".");

        var meta = inputs[inputName];
        if (meta.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR || meta.ElementType != typeof(float))
            throw new DflareException($"Model '{path}': input '{inputName}' has element type {meta.ElementDataType}; only float32 image inputs are supported.");
        var shape = meta.Dimensions;
        if (shape.Length is not (3 or 4))
            throw new DflareException($"Model '{path}': input '{inputName}' has shape [{string.Join(",", shape)}]; expected an image batch [N,C,H,W], [N,H,W,C] or [N,H,W].");

        int? fixedBatch = shape[0] > 0 ? shape[0] : null;
        TensorLayout layout;
        int channels, h, w;
        if (shape.Length == 3)
        {
            layout = o.Layout ?? TensorLayout.Nchw;
            channels = 1; h = shape[1]; w = shape[2];
        }
        else
        {
            static bool IsCh(int v) => v is 1 or 3;
            if (o.Layout is { } l) layout = l;
            else if (IsCh(shape[1])) layout = TensorLayout.Nchw;
            else if (IsCh(shape[3])) layout = TensorLayout.Nhwc;
            else throw new DflareException($"Model '{path}': cannot tell the layout of input shape [{string.Join(",", shape)}] (no 1- or 3-channel axis); pass --layout nchw|nhwc.");
            (channels, h, w) = layout == TensorLayout.Nchw ? (shape[1], shape[2], shape[3]) : (shape[3], shape[1], shape[2]);
            if (channels is not (1 or 3))
                throw new DflareException($"Model '{path}': input shape [{string.Join(",", shape)}] as {layout.ToString().ToUpperInvariant()} has {channels} channels; only 1 or 3 are supported.");
        }
        if (h <= 0 || w <= 0)
        {
            if (o.CenterCrop is { } crop) { h = crop; w = crop; }
            else throw new DflareException($"Model '{path}': input '{inputName}' has dynamic height/width [{string.Join(",", shape)}]; give the image size with --crop N (and --resize N).");
        }
        if (o.CenterCrop is { } cc && (cc != h || cc != w))
            throw new DflareException($"Model '{path}': crop {cc} does not match the model's input size {h}x{w}.");

        double[] Expand(double[]? v, double dflt, string what)
        {
            if (v is null || v.Length == 0) return Enumerable.Repeat(dflt, channels).ToArray();
            if (v.Length == 1) return Enumerable.Repeat(v[0], channels).ToArray();
            if (v.Length == channels) return v;
            throw new DflareException($"Model '{path}': {what} has {v.Length} values but the model takes {channels} channel(s).");
        }
        var std = Expand(o.Std, 1.0, "std");
        if (std.Any(x => x == 0 || !double.IsFinite(x))) throw new DflareException($"Model '{path}': std values must be finite and non-zero.");
        var pre = new Preprocessing
        {
            Scale = o.Scale ?? 1.0 / 255.0,
            Mean = Expand(o.Mean, 0.0, "mean"),
            Std = std,
            ResizeShortSide = o.ResizeShortSide,
            CenterCrop = o.CenterCrop,
            Filter = o.ResizeFilter ?? Images.ResizeFilter.Bilinear,
            Antialias = o.Antialias ?? true,
        };
        if (pre.ResizeShortSide is <= 0) throw new DflareException($"Model '{path}': resize must be positive.");

        var outputs = s.OutputMetadata;
        string outputName;
        if (o.Output is { } wantOut)
        {
            if (!outputs.ContainsKey(wantOut))
                throw new DflareException($"Model '{path}' has no output '{wantOut}'; its outputs are: {string.Join(", ", outputs.Keys)}.");
            outputName = wantOut;
        }
        else outputName = s.OutputNames[0];
        var outMeta = outputs[outputName];
        if (outMeta.ElementType != typeof(float))
            throw new DflareException($"Model '{path}': output '{outputName}' has element type {outMeta.ElementDataType}; only float32 outputs are supported.");
        var od = outMeta.Dimensions;
        // A class vector is [N,K] or [K] ([N,K,1,1] too: a convolutional head without the flatten). Anything else (a
        // feature map, an image such as [N,1,28,28]) is not one score per class.
        if (od.Length >= 3 && od.Skip(2).Any(d => d != 1))
        {
            var candidates = outputs.Where(p => p.Key != outputName && p.Value.ElementType == typeof(float) &&
                                                (p.Value.Dimensions.Length is 1 or 2 || p.Value.Dimensions.Skip(2).All(d => d == 1)))
                                    .Select(p => $"'{p.Key}' [{string.Join(",", p.Value.Dimensions)}]").ToArray();
            throw new DflareException($"Model '{path}': output '{outputName}' has shape [{string.Join(",", od.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : i == 0 ? "N" : "?"))}], which is not a class vector [N,K]; " +
                (candidates.Length > 0 ? $"choose the classifier's output with --output (its outputs that are: {string.Join(", ", candidates)})."
                                       : "this model has no class-vector output, so it is not an image classifier dflare can compare."));
        }
        // Output row: all axes but the batch axis; a [classes] output (no batch axis) is allowed for batch 1.
        int classes;
        if (od.Length == 1 && (fixedBatch == 1)) classes = od[0];
        else if (od.Length >= 2) classes = od.Skip(1).Aggregate(1, (a, b) => b > 0 && a > 0 ? a * b : -1);
        else classes = od.Length == 1 ? od[0] : -1;
        int maxBatch = fixedBatch ?? Math.Max(1, o.MaxBatch ?? 64);
        var kind = o.OutputKind ?? OutputKind.Auto;
        needsProbe = kind == OutputKind.Auto; // an output kind that is given is never guessed over
        var info = new ModelInfo
        {
            Path = path, InputName = inputName, InputShape = shape, FixedBatch = fixedBatch, Layout = layout,
            Channels = channels, Height = h, Width = w, OutputName = outputName, Classes = classes,
            OutputKind = kind == OutputKind.Auto ? OutputKind.Logits : kind, Preprocessing = pre, MaxBatch = maxBatch,
        };
        if (classes <= 0)
        {
            // Unknown from metadata: learn it from a probe run.
            var tmp = new OnnxClassifier(s, false, info with { Classes = int.MaxValue });
            var probe = new Image(w, h, channels);
            var len = tmp.RunRaw([probe.Pixels], count: false)[0].Length;
            info = info with { Classes = len };
        }
        if (info.Classes < 2) throw new DflareException($"Model '{path}': output '{outputName}' has {info.Classes} value(s) per image; a classifier needs at least 2 classes.");
        return info;
    }

    /// <summary>
    /// Brings an image to the model's geometry: resize the short side and centre-crop (when the preprocessing
    /// says so), and convert grey↔RGB to the model's channel count. An image that already has the model's geometry
    /// (<see cref="Fits"/>) is returned as it is, without resizing or cropping again.
    /// </summary>
    /// <exception cref="DflareException">The image size does not fit the model and no resize/crop is configured.</exception>
    public Image Prepare(Image image)
    {
        if (Fits(image)) return image;
        var p = Info.Preprocessing;
        var img = image;
        if (p.ResizeShortSide is { } r) img = img.ResizeShortSide(r, p.Filter, p.Antialias);
        if (p.CenterCrop is { } c)
        {
            if (img.Width < c || img.Height < c)
                throw new DflareException($"Image of {img.Width}x{img.Height} is smaller than the crop {c} for model '{Path}'; add --resize.");
            if (img.Width != c || img.Height != c) img = img.CenterCrop(c, c);
        }
        if (img.Width != Info.Width || img.Height != Info.Height)
            throw new DflareException($"Image of {image.Width}x{image.Height} does not fit model '{Path}', which takes {Info.Width}x{Info.Height}; use --resize/--crop (or a sidecar) to set the preprocessing.");
        return img.Channels == Info.Channels ? img : img.WithChannels(Info.Channels);
    }

    /// <summary><see cref="Prepare(Image)"/> for a seed; an image that does not fit is reported with the seed's file.</summary>
    /// <exception cref="DflareException">The seed's image does not fit the model and no resize/crop is configured.</exception>
    public Image Prepare(Datasets.Seed seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        try { return Prepare(seed.Image); }
        catch (DflareException e) { throw new DflareException($"{char.ToUpperInvariant(seed.Describe()[0])}{seed.Describe()[1..]}: {e.Message}", e); }
    }

    /// <summary>True when <paramref name="image"/> already has the model's geometry.</summary>
    public bool Fits(Image image) => image.Width == Info.Width && image.Height == Info.Height && image.Channels == Info.Channels;

    /// <summary>Returns one probability vector per image (softmax applied to logits).</summary>
    public float[][] Predict(IReadOnlyList<Image> images) => Probabilities(PredictScores(images));

    /// <summary>Returns the probability vector of one image.</summary>
    public float[] Predict(Image image) => Predict([image])[0];

    /// <summary>Probabilities for images that are not counted in <see cref="Queries"/> (checks outside a search's budget).</summary>
    internal float[][] PredictUncounted(IReadOnlyList<Image> images)
    {
        try { return Probabilities(RunRaw(images.Select(i => Prepare(i).Pixels).ToArray(), count: false)); }
        catch (NonFiniteOutputException e) when (e.Image is null && e.Index < images.Count) { throw e.WithImage(images[e.Index]); }
    }

    /// <summary>Returns the raw output row of each image (logits or probabilities, as the model gives them).</summary>
    public float[][] PredictScores(IReadOnlyList<Image> images)
    {
        var buffers = new byte[images.Count][];
        for (int i = 0; i < images.Count; i++)
            buffers[i] = Prepare(images[i]).Pixels;
        try { return RunRaw(buffers, count: true); }
        catch (NonFiniteOutputException e) when (e.Image is null && e.Index < images.Count) { throw e.WithImage(images[e.Index]); }
    }

    /// <summary>
    /// Returns the raw output rows for images given as float pixels (0..255 scale, H×W×C at model geometry);
    /// used where inputs are not whole grey levels, such as gradient estimation.
    /// </summary>
    public float[][] PredictScores(IReadOnlyList<float[]> pixels)
    {
        foreach (var p in pixels)
            if (p.Length != Info.ImageLength) throw new ArgumentException($"Pixel buffer has {p.Length} values; model '{Path}' takes {Info.ImageLength}.");
        return Run(pixels.Count, (i, dst) => Normalize(pixels[i], dst), count: true);
    }

    /// <summary>
    /// <see cref="PredictScores(IReadOnlyList{float[]})"/> for <paramref name="count"/> images that
    /// <paramref name="pixels"/> writes one at a time (index, float pixels at model geometry) into a reused buffer, so
    /// that many generated images (gradient probes) need neither be held nor copied.
    /// </summary>
    internal float[][] PredictScores(int count, Action<int, Span<float>> pixels)
    {
        var buffer = new float[Info.ImageLength];
        return Run(count, (i, dst) => { pixels(i, buffer); Normalize(buffer, dst); }, count: true);
    }

    /// <summary>Converts raw output rows to probabilities (softmax in double for logits; a copy otherwise).</summary>
    public float[][] Probabilities(float[][] scores)
    {
        var result = new float[scores.Length][];
        for (int i = 0; i < scores.Length; i++)
            result[i] = Info.OutputKind == OutputKind.Logits ? Softmax(scores[i]) : (float[])scores[i].Clone();
        return result;
    }

    /// <summary>Numerically stable softmax, computed in double.</summary>
    public static float[] Softmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) if (v > max) max = v;
        var e = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) { e[i] = Math.Exp(logits[i] - max); sum += e[i]; }
        var r = new float[logits.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)(e[i] / sum);
        return r;
    }

    private float[][] RunRaw(byte[][] pixels, bool count) =>
        Run(pixels.Length, (i, dst) => Normalize(pixels[i], dst), count);

    /// <summary>Normalises one image's 0..255 values (H×W×C) into the model's input layout (internal for the micro-benchmarks).</summary>
    internal void Normalize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int c = Info.Channels, hw = Info.Height * Info.Width;
        if (Info.Layout == TensorLayout.Nhwc)
        {
            for (int i = 0, ch = 0; i < src.Length; i++)
            {
                dst[i] = src[i] * _scale[ch] + _offset[ch];
                if (++ch == c) ch = 0;
            }
        }
        else
        {
            for (int ch = 0; ch < c; ch++)
            {
                float s = _scale[ch], o = _offset[ch];
                var plane = dst.Slice(ch * hw, hw);
                for (int p = 0, j = ch; p < hw; p++, j += c) plane[p] = src[j] * s + o;
            }
        }
    }

    private void Normalize(ReadOnlySpan<float> src, Span<float> dst)
    {
        int c = Info.Channels, hw = Info.Height * Info.Width;
        for (int p = 0; p < hw; p++)
            for (int ch = 0; ch < c; ch++)
            {
                int j = p * c + ch;
                float v = src[j] * _scale[ch] + _offset[ch];
                if (Info.Layout == TensorLayout.Nhwc) dst[j] = v; else dst[ch * hw + p] = v;
            }
    }

    private float[][] Run(int n, Action<int, Span<float>> fill, bool count)
    {
        var result = new float[n][];
        RunBatches(n, fill, [Info.OutputName], (outputs, start, real, batch) =>
        {
            var span = outputs[0].GetTensorDataAsSpan<float>();
            int row = span.Length / batch;
            if (row != Info.Classes && Info.Classes != int.MaxValue)
                throw new DflareException($"Model '{Path}': output '{Info.OutputName}' gave {row} values per image, expected {Info.Classes}.");
            for (int i = 0; i < real; i++)
            {
                var values = span.Slice(i * row, row);
                for (int k = 0; k < values.Length; k++)
                    if (!float.IsFinite(values[k])) throw new NonFiniteOutputException(Path, Info.OutputName, start + i, k, values[k]);
                result[start + i] = values.ToArray();
            }
        });
        if (count) Interlocked.Add(ref _queries, n);
        return result;
    }

    /// <summary>Reads one batch's outputs: rows <c>0..real-1</c> of the <paramref name="batch"/> rows sent are images <c>start..start+real-1</c>.</summary>
    private delegate void BatchReader(IReadOnlyList<OrtValue> outputs, int start, int real, int batch);

    /// <summary>
    /// Sends <paramref name="n"/> images to the session in batches of <see cref="ModelInfo.MaxBatch"/>: a model with a
    /// fixed batch gets every batch at that size, the short last one padded with zero rows (whose outputs the reader
    /// drops); a dynamic-batch model gets batches of the real size. <paramref name="fill"/> writes image <c>i</c>'s
    /// normalised input; <paramref name="read"/> gets each batch's outputs. Counts one run per batch, not queries.
    /// </summary>
    private void RunBatches(int n, Action<int, Span<float>> fill, IReadOnlyCollection<string> outputNames, BatchReader read)
    {
        int len = Info.ImageLength, maxBatch = Info.MaxBatch;
        var inputShape = Info.InputShape.Select(d => (long)d).ToArray();
        for (int start = 0; start < n; start += maxBatch)
        {
            int real = Math.Min(maxBatch, n - start);
            int batch = Info.FixedBatch ?? real;
            // A pooled buffer: a batch of images is often large enough for the large-object heap, and allocating one
            // per run costs more than preprocessing.
            var data = ArrayPool<float>.Shared.Rent(batch * len);
            try
            {
                for (int i = 0; i < real; i++) fill(start + i, data.AsSpan(i * len, len));
                // Padding rows (fixed batch) are zero; their outputs are dropped.
                data.AsSpan(real * len, (batch - real) * len).Clear();
                inputShape[0] = batch;
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(0, batch * len), inputShape);
                using var outputs = _session.Run(RunOptions, [Info.InputName], [input], outputNames);
                read(outputs, start, real, batch);
            }
            finally { ArrayPool<float>.Shared.Return(data); }
            Interlocked.Increment(ref _runs);
        }
    }

    /// <summary>
    /// Runs the images and returns several outputs at once (e.g. the intermediate tensors of a model made by
    /// <see cref="Dflare.Onnx.LayerExposer"/>), each as one row per image converted to float. Batching is as in
    /// <see cref="PredictScores(IReadOnlyList{Image})"/>: fixed-batch models get padded batches whose padding rows
    /// are dropped. Images are counted as queries.
    /// </summary>
    /// <param name="images">The images (brought to the model's geometry by <see cref="Prepare(Image)"/> when needed).</param>
    /// <param name="outputNames">Outputs to fetch; each must be a graph output of the model.</param>
    /// <exception cref="DflareException">An output does not exist, or has no batch axis while several images go in one run.</exception>
    public IReadOnlyDictionary<string, TensorRows> RunOutputs(IReadOnlyList<Image> images, IReadOnlyList<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        return RunOutputs(images.Count, (i, dst) =>
        {
            var img = Prepare(images[i]);
            Normalize(img.Pixels, dst);
        }, outputNames);
    }

    /// <summary>
    /// <see cref="RunOutputs(IReadOnlyList{Image}, IReadOnlyList{string})"/> for images given as float pixels (0..255
    /// scale, H×W×C at model geometry, as for <see cref="PredictScores(IReadOnlyList{float[]})"/>), e.g. adversarial
    /// images that are not whole grey levels.
    /// </summary>
    /// <param name="pixels">The images as float pixels.</param>
    /// <param name="outputNames">Outputs to fetch; each must be a graph output of the model.</param>
    /// <exception cref="ArgumentException">A pixel buffer does not have <see cref="ModelInfo.ImageLength"/> values.</exception>
    /// <exception cref="DflareException">An output does not exist, or has no batch axis while several images go in one run.</exception>
    public IReadOnlyDictionary<string, TensorRows> RunOutputs(IReadOnlyList<float[]> pixels, IReadOnlyList<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        foreach (var p in pixels)
            if (p.Length != Info.ImageLength) throw new ArgumentException($"Pixel buffer has {p.Length} values; model '{Path}' takes {Info.ImageLength}.");
        return RunOutputs(pixels.Count, (i, dst) => Normalize(pixels[i], dst), outputNames);
    }

    private IReadOnlyDictionary<string, TensorRows> RunOutputs(int n, Action<int, Span<float>> fill, IReadOnlyList<string> outputNames)
    {
        var outputs = _session.OutputMetadata;
        foreach (var name in outputNames)
            if (!outputs.ContainsKey(name))
                throw new DflareException($"Model '{Path}' has no output '{name}'; its outputs are: {string.Join(", ", outputs.Keys)}.");
        var names = outputNames.ToArray();
        var rows = names.Select(_ => new float[n][]).ToArray();
        var shapes = new int[names.Length][];
        var types = new string[names.Length];
        RunBatches(n, fill, names, (results, start, real, batch) =>
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
                else throw new DflareException($"Model '{Path}': output '{names[k]}' has shape [{string.Join(",", dims)}], which has no batch axis of {batch}; read it one image at a time.");
                int row = batch == 0 ? 0 : all.Length / batch;
                for (int i = 0; i < real; i++) rows[k][start + i] = all.AsSpan(i * row, row).ToArray();
                shapes[k] = perImage;
                types[k] = ts.ElementDataType.ToString();
            }
        });
        Interlocked.Add(ref _queries, n);
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

    /// <summary>Disposes the session if this classifier owns it (in-memory models); cached sessions stay shared.</summary>
    public void Dispose()
    {
        if (_ownsSession) _session.Dispose();
    }
}
