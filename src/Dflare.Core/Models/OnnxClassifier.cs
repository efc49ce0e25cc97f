using Dflare.Images;
using Microsoft.ML.OnnxRuntime;

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
    private readonly bool _ownsSession;
    private long _queries;

    private OnnxClassifier(InferenceSession session, bool ownsSession, ModelInfo info)
    {
        _session = session;
        _ownsSession = ownsSession;
        Info = info;
        Encoder = new ImageEncoder(info);
        Runner = new SessionRunner(session, info);
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
    public long Runs => Runner.Runs;

    /// <summary>The underlying session (shared; do not dispose).</summary>
    public InferenceSession Session => _session;

    /// <summary>The preprocessing, applied (geometry and normalisation).</summary>
    internal ImageEncoder Encoder { get; }

    /// <summary>The batching over the session (for readers of other outputs, such as <see cref="Onnx.ActivationReader"/>).</summary>
    internal SessionRunner Runner { get; }

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

    private static OnnxClassifier Create(InferenceSession session, bool ownsSession, string path, ModelOptions o, IReadOnlyDictionary<string, string> sources) =>
        new(session, ownsSession, ModelInfo.Resolve(session, path, o) with { Sources = sources });

    /// <summary>
    /// Brings an image to the model's geometry: resize the short side and centre-crop (when the preprocessing
    /// says so), and convert grey↔RGB to the model's channel count. An image that already has the model's geometry
    /// (<see cref="Fits"/>) is returned as it is, without resizing or cropping again.
    /// </summary>
    /// <exception cref="DflareException">The image size does not fit the model and no resize/crop is configured.</exception>
    public Image Prepare(Image image) => Encoder.Prepare(image);

    /// <summary><see cref="Prepare(Image)"/> for a seed; an image that does not fit is reported with the seed's file.</summary>
    /// <exception cref="DflareException">The seed's image does not fit the model and no resize/crop is configured.</exception>
    public Image Prepare(Datasets.Seed seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        try { return Prepare(seed.Image); }
        catch (DflareException e) { throw new DflareException($"{char.ToUpperInvariant(seed.Describe()[0])}{seed.Describe()[1..]}: {e.Message}", e); }
    }

    /// <summary>True when <paramref name="image"/> already has the model's geometry.</summary>
    public bool Fits(Image image) => Encoder.Fits(image);

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
        CheckPixels(pixels);
        return Run(pixels.Count, (i, dst) => Encoder.Normalize<float>(pixels[i], dst), count: true);
    }

    /// <exception cref="ArgumentException">A buffer does not have <see cref="ModelInfo.ImageLength"/> values.</exception>
    internal void CheckPixels(IReadOnlyList<float[]> pixels)
    {
        foreach (var p in pixels)
            if (p.Length != Info.ImageLength) throw new ArgumentException($"Pixel buffer has {p.Length} values; model '{Path}' takes {Info.ImageLength}.");
    }

    /// <summary>
    /// <see cref="PredictScores(IReadOnlyList{float[]})"/> for <paramref name="count"/> images that
    /// <paramref name="pixels"/> writes one at a time (index, float pixels at model geometry) into a reused buffer, so
    /// that many generated images (gradient probes) need neither be held nor copied.
    /// </summary>
    internal float[][] PredictScores(int count, Action<int, Span<float>> pixels)
    {
        var buffer = new float[Info.ImageLength];
        return Run(count, (i, dst) => { pixels(i, buffer); Encoder.Normalize<float>(buffer, dst); }, count: true);
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
        Run(pixels.Length, (i, dst) => Encoder.Normalize<byte>(pixels[i], dst), count);

    private float[][] Run(int n, Action<int, Span<float>> fill, bool count)
    {
        var rows = Runner.Rows(n, fill);
        if (count) CountQueries(n);
        return rows;
    }

    /// <summary>Adds <paramref name="n"/> evaluated images to <see cref="Queries"/>.</summary>
    internal void CountQueries(int n) => Interlocked.Add(ref _queries, n);

    /// <summary>Disposes the session if this classifier owns it (in-memory models); cached sessions stay shared.</summary>
    public void Dispose()
    {
        if (_ownsSession) _session.Dispose();
    }
}
