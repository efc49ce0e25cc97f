// Over 300 lines on purpose: every preprocessing field with its parsing, sidecar reading and merge rules in one place.
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
    /// <summary>Resize the image's short side to this many pixels before cropping.</summary>
    public int? ResizeShortSide { get; init; }
    /// <summary>The resize filter (default bilinear): nearest, bilinear, bicubic or lanczos, as PIL.</summary>
    public Images.ResizeFilter? ResizeFilter { get; init; }
    /// <summary>Whether a shrinking resize is antialiased (default true: PIL, torchvision's default).</summary>
    public bool? Antialias { get; init; }
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

    /// <summary>
    /// The fields (sidecar names: <c>scale</c>, <c>mean</c>, ...) given for several models at once, e.g. by the
    /// command line's shared options. Such a value fills in what a model's sidecar leaves out but never overrides a
    /// different value the sidecar sets: <see cref="ForModel"/> refuses the conflict. Fields not listed here (options
    /// given for one model only) override its sidecar.
    /// </summary>
    public IReadOnlySet<string> SharedFields { get; init; } = new HashSet<string>();

    /// <summary>A copy whose every set field is marked shared (<see cref="SharedFields"/>).</summary>
    public ModelOptions AsShared() => this with { SharedFields = Fields().Where(f => f.Value is not null).Select(f => f.Name).ToHashSet() };

    /// <summary>The fields by their sidecar names, with their values (null when not set).</summary>
    public IReadOnlyList<(string Name, object? Value)> Fields() =>
    [
        ("input", Input), ("scale", Scale), ("mean", Mean), ("std", Std), ("layout", Layout),
        ("resize", ResizeShortSide), ("crop", CenterCrop), ("filter", ResizeFilter), ("antialias", Antialias),
        ("output", Output), ("outputKind", OutputKind), ("maxBatch", MaxBatch),
    ];

    /// <summary>The sidecar keys understood (besides the informational keys of catalogue entries).</summary>
    public static IReadOnlyList<string> KnownKeys { get; } =
        ["input", "scale", "mean", "std", "layout", "resize", "crop", "filter", "antialias", "output", "outputKind", "maxBatch"];

    // Keys of the shared catalogue's model entries that describe the model and are not preprocessing.
    private static readonly string[] InformationalKeys = ["path", "dataset", "shape", "fixedBatch", "accuracy", "compressedFrom", "compression", "disagreesWithOriginalOn", "classes", "description"];
    private static readonly string[] ResizeKeys = ["shortSide", "centerCrop", "filter", "antialias"];

    /// <summary>Returns a copy in which every field set in <paramref name="over"/> replaces this one's.</summary>
    public ModelOptions OverriddenBy(ModelOptions? over)
    {
        if (over is null) return this;
        var shared = new HashSet<string>();
        foreach (var ((name, mine), (_, theirs)) in Fields().Zip(over.Fields()))
            if (theirs is not null ? over.SharedFields.Contains(name) : mine is not null && SharedFields.Contains(name)) shared.Add(name);
        return new ModelOptions
        {
            SharedFields = shared,
            ResizeFilter = over.ResizeFilter ?? ResizeFilter,
            Antialias = over.Antialias ?? Antialias,
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
    /// other ways (layer activations, compression). A shared field (<see cref="SharedFields"/>) never overrides a
    /// different value of the sidecar: that conflict is an error naming both.
    /// </summary>
    /// <exception cref="DflareException">The sidecar exists but is not valid, or a shared option disagrees with it.</exception>
    public static ModelOptions ForModel(string modelPath, ModelOptions? overrides)
    {
        var full = Path.GetFullPath(modelPath);
        var sidecar = ReadSidecar(full);
        if (sidecar is not null && overrides is not null)
            foreach (var ((name, given), (_, own)) in overrides.Fields().Zip(sidecar.Fields()))
                if (given is not null && own is not null && overrides.SharedFields.Contains(name) && !Same(given, own))
                    throw new DflareException(
                        $"Model '{modelPath}': the shared option {name} = {Show(given)} disagrees with its sidecar '{SidecarPath(modelPath)}' ({name} = {Show(own)}). " +
                        $"An option shared by both models never overrides a model's own sidecar: edit the sidecar, drop the option, or give it for the compressed model only (as its own option).");
        return (sidecar ?? new ModelOptions()).OverriddenBy(overrides);
    }

    /// <summary>Where each preprocessing field of a model comes from: <c>option</c>, <c>sidecar</c>, or absent (the model or a default decides).</summary>
    /// <exception cref="DflareException">The sidecar exists but is not valid.</exception>
    public static IReadOnlyDictionary<string, string> Sources(string modelPath, ModelOptions? overrides)
    {
        var sidecar = ReadSidecar(Path.GetFullPath(modelPath));
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in sidecar?.Fields() ?? []) if (value is not null) map[name] = "sidecar";
        foreach (var (name, value) in overrides?.Fields() ?? [])
            if (value is not null && (!overrides!.SharedFields.Contains(name) || !map.ContainsKey(name))) map[name] = "option";
        return map;
    }

    private static bool Same(object a, object b)
    {
        if (a is double[] x && b is double[] y)
        {
            int n = Math.Max(x.Length, y.Length);
            if (x.Length != n && x.Length != 1 || y.Length != n && y.Length != 1) return false;
            for (int i = 0; i < n; i++) if (!Close(x[Math.Min(i, x.Length - 1)], y[Math.Min(i, y.Length - 1)])) return false;
            return true;
        }
        if (a is double d && b is double e) return Close(d, e);
        if (a is string s && b is string t) return string.Equals(s, t, StringComparison.Ordinal);
        return a.Equals(b);
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));

    /// <summary>A field value as text (numbers invariant, lists in brackets).</summary>
    public static string Show(object? value) => value switch
    {
        null => "-",
        double[] a => "[" + string.Join(", ", a.Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))) + "]",
        double d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => e.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

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
            foreach (var p in root.EnumerateObject())
                if (!KnownKeys.Contains(p.Name) && !InformationalKeys.Contains(p.Name))
                    throw new DflareException($"unknown key '{p.Name}'{Suggest(p.Name, KnownKeys)}; the known keys are {string.Join(", ", KnownKeys)}");
            int? resize = null, crop = null;
            Images.ResizeFilter? filter = null;
            bool? antialias = null;
            if (root.TryGetProperty("resize", out var r))
            {
                if (r.ValueKind == JsonValueKind.Number) resize = Int(r, "resize");
                else if (r.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in r.EnumerateObject())
                        if (!ResizeKeys.Contains(p.Name))
                            throw new DflareException($"unknown key 'resize.{p.Name}'{Suggest(p.Name, ResizeKeys)}; the known keys of 'resize' are {string.Join(", ", ResizeKeys)}");
                    if (r.TryGetProperty("shortSide", out var ss)) resize = Int(ss, "resize.shortSide");
                    if (r.TryGetProperty("centerCrop", out var cc)) crop = Int(cc, "resize.centerCrop");
                    if (Str(r, "filter", "resize.filter") is { } f) filter = ParseFilter(f, "resize.filter");
                    if (r.TryGetProperty("antialias", out var aa)) antialias = Bool(aa, "resize.antialias");
                }
                else if (r.ValueKind != JsonValueKind.Null) throw new DflareException($"'resize' must be a whole number or an object {{shortSide, centerCrop, filter, antialias}}, not {Kind(r)}");
            }
            if (root.TryGetProperty("crop", out var c)) crop = Int(c, "crop");
            if (Str(root, "filter") is { } tf) filter = ParseFilter(tf, "filter");
            if (root.TryGetProperty("antialias", out var ta)) antialias = Bool(ta, "antialias");
            return new ModelOptions
            {
                Input = Str(root, "input"),
                Scale = root.TryGetProperty("scale", out var s) ? Num(s, "scale") : null,
                Mean = Arr(root, "mean"),
                Std = Arr(root, "std"),
                Layout = Str(root, "layout") is { } l ? ParseLayout(l) : null,
                ResizeShortSide = resize,
                CenterCrop = crop,
                ResizeFilter = filter,
                Antialias = antialias,
                Output = Str(root, "output"),
                OutputKind = Str(root, "outputKind") is { } k ? ParseOutputKind(k, "outputKind") : null,
                MaxBatch = root.TryGetProperty("maxBatch", out var mb) ? Int(mb, "maxBatch") : null,
            };
        }
    }

    private static string Suggest(string key, IEnumerable<string> known)
    {
        var best = known.Select(k => (k, d: Distance(key.ToLowerInvariant(), k.ToLowerInvariant()))).OrderBy(x => x.d).First();
        return best.d <= 2 ? $" (did you mean '{best.k}'?)" : "";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.String => $"the string {v.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    /// <summary>Parses a resize filter: <c>nearest</c>, <c>bilinear</c>, <c>bicubic</c> or <c>lanczos</c> (any case; PIL's <c>antialias</c> is lanczos); <paramref name="what"/> names the setting in the error.</summary>
    /// <exception cref="DflareException">Any other value.</exception>
    public static Images.ResizeFilter ParseFilter(string text, string what = "resize filter") => text.Trim().ToLowerInvariant() switch
    {
        "nearest" => Images.ResizeFilter.Nearest,
        "bilinear" or "linear" => Images.ResizeFilter.Bilinear,
        "bicubic" or "cubic" => Images.ResizeFilter.Bicubic,
        "lanczos" or "antialias" => Images.ResizeFilter.Lanczos,
        _ => throw new DflareException($"{what} '{text}' is not valid; the valid values are nearest, bilinear, bicubic, lanczos"),
    };

    /// <summary>Parses <c>nchw</c> / <c>nhwc</c> (any case); <paramref name="what"/> names the setting in the error (e.g. <c>--layout</c>).</summary>
    /// <exception cref="DflareException">Any other value.</exception>
    public static TensorLayout ParseLayout(string text, string what = "layout") => text.Trim().ToLowerInvariant() switch
    {
        "nchw" => TensorLayout.Nchw,
        "nhwc" => TensorLayout.Nhwc,
        _ => throw new DflareException($"{what} '{text}' is not valid; the valid values are nchw, nhwc"),
    };

    /// <summary>Parses <c>logits</c> / <c>probabilities</c> / <c>auto</c> (any case); <paramref name="what"/> names the setting in the error (e.g. <c>--output-kind</c>).</summary>
    /// <exception cref="DflareException">Any other value.</exception>
    public static OutputKind ParseOutputKind(string text, string what = "output kind") => text.Trim().ToLowerInvariant() switch
    {
        "logits" => Models.OutputKind.Logits,
        "probabilities" or "probs" or "softmax" => Models.OutputKind.Probabilities,
        "auto" => Models.OutputKind.Auto,
        _ => throw new DflareException($"{what} '{text}' is not valid; the valid values are logits, probabilities (or probs, softmax), auto"),
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

    private static string? Str(JsonElement o, string name, string? shown = null) =>
        o.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()
            : v.ValueKind == JsonValueKind.Null ? null : throw new DflareException($"'{shown ?? name}' must be a string, not {Kind(v)}") : null;

    private static double Num(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new DflareException($"'{name}' must be a number, not {Kind(v)}");

    private static int Int(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new DflareException($"'{name}' must be a whole number, not {Kind(v)}");

    private static bool Bool(JsonElement v, string name) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new DflareException($"'{name}' must be true or false, not {Kind(v)}"),
    };

    private static double[]? Arr(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number) return [v.GetDouble()];
        if (v.ValueKind != JsonValueKind.Array) throw new DflareException($"'{name}' must be a number or an array of numbers, not {Kind(v)}");
        return v.EnumerateArray().Select(e => Num(e, name)).ToArray();
    }
}
