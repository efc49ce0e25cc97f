using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dflare.Models;

/// <summary>Memory layout of an image tensor.</summary>
public enum TensorLayout
{
    /// <summary>Batch, channels, height, width (PyTorch, ONNX default).</summary>
    Nchw,
    /// <summary>Batch, height, width, channels (TensorFlow / Keras).</summary>
    Nhwc,
}

/// <summary>What a model's output row holds.</summary>
public enum OutputKind
{
    /// <summary>Decide from the model: softmax is applied unless a probe row is non-negative and sums to 1 ± 1e-3.</summary>
    Auto,
    /// <summary>Unnormalised scores; softmax turns them into probabilities.</summary>
    Logits,
    /// <summary>Already probabilities (softmax inside the model); used as they are.</summary>
    Probabilities,
}

/// <summary>
/// How to feed a model and read it: every field is optional, and a set field overrides what is read from the
/// model (or from its sidecar <c>MODEL.onnx.json</c>). Field names follow the model entries of the shared
/// catalogue (<c>scale</c>, <c>mean</c>, <c>std</c>, <c>layout</c>, <c>resize</c>, <c>output</c>, <c>outputKind</c>).
/// </summary>
public sealed record ModelOptions
{
    /// <summary>Name of the image input (default: the only real input).</summary>
    public string? Input { get; init; }
    /// <summary>Multiplier applied to 0..255 pixels before mean/std (default 1/255).</summary>
    public double? Scale { get; init; }
    /// <summary>Per-channel mean subtracted after scaling (one value applies to all channels; default 0).</summary>
    public double[]? Mean { get; init; }
    /// <summary>Per-channel standard deviation divided by after the mean (default 1).</summary>
    public double[]? Std { get; init; }
    /// <summary>Tensor layout (default: inferred from where the 1- or 3-channel axis is).</summary>
    public TensorLayout? Layout { get; init; }
    /// <summary>Resize the image's short side to this many pixels (bilinear) before cropping.</summary>
    public int? ResizeShortSide { get; init; }
    /// <summary>Centre-crop a square of this size after resizing.</summary>
    public int? CenterCrop { get; init; }
    /// <summary>Output to read (default: the first).</summary>
    public string? Output { get; init; }
    /// <summary>Whether the output is logits or probabilities (default: detected).</summary>
    public OutputKind? OutputKind { get; init; }
    /// <summary>Largest batch sent to a model with a dynamic batch axis (default 64).</summary>
    public int? MaxBatch { get; init; }
    /// <summary>Threads ONNX Runtime may use inside one model run (default: ORT's choice).</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>Returns a copy in which every field set in <paramref name="over"/> replaces this one's.</summary>
    public ModelOptions OverriddenBy(ModelOptions? over)
    {
        if (over is null) return this;
        return new ModelOptions
        {
            Input = over.Input ?? Input,
            Scale = over.Scale ?? Scale,
            Mean = over.Mean ?? Mean,
            Std = over.Std ?? Std,
            Layout = over.Layout ?? Layout,
            ResizeShortSide = over.ResizeShortSide ?? ResizeShortSide,
            CenterCrop = over.CenterCrop ?? CenterCrop,
            Output = over.Output ?? Output,
            OutputKind = over.OutputKind ?? OutputKind,
            MaxBatch = over.MaxBatch ?? MaxBatch,
            IntraOpThreads = over.IntraOpThreads ?? IntraOpThreads,
        };
    }

    /// <summary>The sidecar path for a model: <c>MODEL.onnx.json</c> next to it.</summary>
    public static string SidecarPath(string modelPath) => modelPath + ".json";

    /// <summary>
    /// The options a model is used with: its sidecar (when there is one) overridden by every field set in
    /// <paramref name="overrides"/> — what <see cref="OnnxClassifier.Load"/> uses, for code that reads the model in
    /// other ways (layer activations, compression).
    /// </summary>
    /// <exception cref="DflareException">The sidecar exists but is not valid.</exception>
    public static ModelOptions ForModel(string modelPath, ModelOptions? overrides) =>
        (ReadSidecar(Path.GetFullPath(modelPath)) ?? new ModelOptions()).OverriddenBy(overrides);

    /// <summary>Reads the sidecar next to <paramref name="modelPath"/>, or returns null when there is none.</summary>
    /// <exception cref="DflareException">The sidecar exists but is not valid.</exception>
    public static ModelOptions? ReadSidecar(string modelPath)
    {
        var path = SidecarPath(modelPath);
        return File.Exists(path) ? FromJsonFile(path) : null;
    }

    /// <summary>Parses a sidecar / catalogue entry JSON file.</summary>
    /// <exception cref="DflareException">The file is not valid JSON or a field has the wrong type.</exception>
    public static ModelOptions FromJsonFile(string path)
    {
        try { return FromJson(File.ReadAllText(path)); }
        catch (DflareException e) { throw new DflareException($"Model sidecar '{path}': {e.Message}", e); }
        catch (IOException e) { throw new DflareException($"Model sidecar '{path}' cannot be read: {e.Message}", e); }
    }

    /// <summary>Parses a sidecar / catalogue entry from JSON text.</summary>
    /// <exception cref="DflareException">The text is not valid JSON or a field has the wrong type.</exception>
    public static ModelOptions FromJson(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new DflareException($"not valid JSON ({e.Message})", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new DflareException("expected a JSON object");
            int? resize = null, crop = null;
            if (root.TryGetProperty("resize", out var r))
            {
                if (r.ValueKind == JsonValueKind.Number) resize = r.GetInt32();
                else if (r.ValueKind == JsonValueKind.Object)
                {
                    if (r.TryGetProperty("shortSide", out var ss)) resize = Int(ss, "resize.shortSide");
                    if (r.TryGetProperty("centerCrop", out var cc)) crop = Int(cc, "resize.centerCrop");
                    if (r.TryGetProperty("filter", out var f) && !string.Equals(f.GetString(), "bilinear", StringComparison.OrdinalIgnoreCase))
                        throw new DflareException($"resize.filter '{f.GetString()}' is not supported (only bilinear)");
                }
                else if (r.ValueKind != JsonValueKind.Null) throw new DflareException("'resize' must be a number or an object {shortSide, centerCrop}");
            }
            if (root.TryGetProperty("crop", out var c)) crop = Int(c, "crop");
            return new ModelOptions
            {
                Input = Str(root, "input"),
                Scale = root.TryGetProperty("scale", out var s) ? Num(s, "scale") : null,
                Mean = Arr(root, "mean"),
                Std = Arr(root, "std"),
                Layout = Str(root, "layout") is { } l ? ParseLayout(l) : null,
                ResizeShortSide = resize,
                CenterCrop = crop,
                Output = Str(root, "output"),
                OutputKind = Str(root, "outputKind") is { } k ? ParseOutputKind(k) : null,
                MaxBatch = root.TryGetProperty("maxBatch", out var mb) ? Int(mb, "maxBatch") : null,
            };
        }
    }

    /// <summary>Parses <c>nchw</c> / <c>nhwc</c> (any case).</summary>
    /// <exception cref="DflareException">Any other value.</exception>
    public static TensorLayout ParseLayout(string text) => text.Trim().ToLowerInvariant() switch
    {
        "nchw" => TensorLayout.Nchw,
        "nhwc" => TensorLayout.Nhwc,
        _ => throw new DflareException($"layout '{text}' is not one of nchw, nhwc"),
    };

    /// <summary>Parses <c>logits</c> / <c>probabilities</c> / <c>auto</c> (any case).</summary>
    /// <exception cref="DflareException">Any other value.</exception>
    public static OutputKind ParseOutputKind(string text) => text.Trim().ToLowerInvariant() switch
    {
        "logits" => Models.OutputKind.Logits,
        "probabilities" or "probs" or "softmax" => Models.OutputKind.Probabilities,
        "auto" => Models.OutputKind.Auto,
        _ => throw new DflareException($"output kind '{text}' is not one of logits, probabilities, auto"),
    };

    /// <summary>Parses a comma-separated list of numbers (e.g. <c>0.485,0.456,0.406</c>).</summary>
    /// <exception cref="DflareException">An item is not a number.</exception>
    public static double[] ParseList(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new DflareException($"{what} '{text}' has no values");
        return parts.Select(p => double.TryParse(p, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : throw new DflareException($"{what} '{text}': '{p}' is not a number")).ToArray();
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()
            : v.ValueKind == JsonValueKind.Null ? null : throw new DflareException($"'{name}' must be a string") : null;

    private static double Num(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new DflareException($"'{name}' must be a number");

    private static int Int(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new DflareException($"'{name}' must be an integer");

    private static double[]? Arr(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number) return [v.GetDouble()];
        if (v.ValueKind != JsonValueKind.Array) throw new DflareException($"'{name}' must be a number or an array of numbers");
        return v.EnumerateArray().Select(e => Num(e, name)).ToArray();
    }
}
