namespace Dflare.Models;

/// <summary>
/// Everything resolved about how a classifier is fed and read: the model's own metadata, overridden by the
/// sidecar, overridden by explicit options.
/// </summary>
public sealed partial record ModelInfo
{
    /// <summary>Path of the model file (or a display name for an in-memory model).</summary>
    public required string Path { get; init; }
    /// <summary>Name of the image input.</summary>
    public required string InputName { get; init; }
    /// <summary>The input shape as the model declares it (-1 for dynamic axes).</summary>
    public required int[] InputShape { get; init; }
    /// <summary>The batch size the model insists on, or null when the batch axis is dynamic.</summary>
    public int? FixedBatch { get; init; }
    /// <summary>Tensor layout of the input.</summary>
    public required TensorLayout Layout { get; init; }
    /// <summary>Image channels the model takes (1 or 3).</summary>
    public required int Channels { get; init; }
    /// <summary>Image height the model takes.</summary>
    public required int Height { get; init; }
    /// <summary>Image width the model takes.</summary>
    public required int Width { get; init; }
    /// <summary>Name of the output read.</summary>
    public required string OutputName { get; init; }
    /// <summary>Number of classes (length of one output row).</summary>
    public required int Classes { get; init; }
    /// <summary>Resolved output kind (never <see cref="Models.OutputKind.Auto"/>).</summary>
    public required OutputKind OutputKind { get; init; }
    /// <summary>How 0..255 pixels become model input values.</summary>
    public required Preprocessing Preprocessing { get; init; }
    /// <summary>Largest batch sent in one run (the fixed batch for a fixed-batch model).</summary>
    public required int MaxBatch { get; init; }

    /// <summary>
    /// Where the preprocessing fields given by the user came from, by sidecar name (<c>scale</c>, <c>mean</c>, ...):
    /// <c>sidecar</c> or <c>option</c>. A field not listed was read from the model or took its default.
    /// </summary>
    public IReadOnlyDictionary<string, string> Sources { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The effective preprocessing, one entry per field with its value and where it came from: <c>model</c> (read
    /// from the ONNX file), <c>sidecar</c> (<c>MODEL.onnx.json</c>), <c>option</c> (command line or attribute) or
    /// <c>default</c>.
    /// </summary>
    public IReadOnlyList<(string Field, string Value, string Source)> Effective()
    {
        string From(string field, string otherwise) => Sources.TryGetValue(field, out var s) ? s : otherwise;
        var p = Preprocessing;
        return
        [
            ("input", InputName, From("input", "model")),
            ("size", $"{Width}x{Height}x{Channels}", From("crop", "model")),
            ("layout", Layout.ToString().ToUpperInvariant(), From("layout", "model")),
            ("resize", p.ResizeShortSide is { } r ? $"short side {r}" : "none (images must fit)", From("resize", "default")),
            ("crop", p.CenterCrop is { } c ? $"{c}" : "none", From("crop", "default")),
            ("filter", p.Filter.ToString().ToLowerInvariant(), From("filter", "default")),
            ("antialias", p.Antialias ? "true" : "false", From("antialias", "default")),
            ("scale", ModelOptions.Show(p.Scale), From("scale", "default")),
            ("mean", ModelOptions.Show(p.Mean), From("mean", "default")),
            ("std", ModelOptions.Show(p.Std), From("std", "default")),
            ("output", OutputName, From("output", "model")),
            ("outputKind", OutputKind.ToString().ToLowerInvariant(), From("outputKind", "model")),
        ];
    }

    /// <summary>The effective preprocessing on one line: <c>scale 0.00392157 (sidecar), mean [0.5] (sidecar), ...</c>.</summary>
    public string DescribePreprocessing() => string.Join(", ", Effective().Select(e => $"{e.Field} {e.Value} ({e.Source})"));

    /// <summary>The effective preprocessing as JSON: <c>{ "model": PATH, "scale": { "value": ..., "source": ... }, ... }</c>.</summary>
    public System.Text.Json.Nodes.JsonObject PreprocessingJson()
    {
        var o = new System.Text.Json.Nodes.JsonObject { ["model"] = Path };
        foreach (var (f, v, s) in Effective()) o[f] = new System.Text.Json.Nodes.JsonObject { ["value"] = v, ["source"] = s };
        return o;
    }

    /// <summary>Number of values in one image at model geometry (H·W·C).</summary>
    public int ImageLength => Height * Width * Channels;

    /// <summary>A one-line description, e.g. <c>input.1 [16,3,32,32] NCHW fixed batch 16 → 76 (10 logits)</c>.</summary>
    public override string ToString() =>
        $"{InputName} [{string.Join(",", InputShape)}] {Layout.ToString().ToUpperInvariant()}" +
        (FixedBatch is { } b ? $" fixed batch {b}" : " dynamic batch") +
        $" → {OutputName} ({Classes} {OutputKind.ToString().ToLowerInvariant()})";
}

/// <summary>
/// Image preprocessing: optional resize of the short side and centre crop (bilinear), then per value
/// <c>(pixel · Scale − Mean[c]) / Std[c]</c>.
/// </summary>
public sealed record Preprocessing
{
    /// <summary>Multiplier for 0..255 pixels (default 1/255).</summary>
    public double Scale { get; init; } = 1.0 / 255.0;
    /// <summary>Per-channel means (length = channels).</summary>
    public required double[] Mean { get; init; }
    /// <summary>Per-channel standard deviations (length = channels).</summary>
    public required double[] Std { get; init; }
    /// <summary>Short side to resize to before cropping, if any.</summary>
    public int? ResizeShortSide { get; init; }
    /// <summary>Size of the centre crop, if any.</summary>
    public int? CenterCrop { get; init; }
    /// <summary>The resize filter (default bilinear).</summary>
    public Images.ResizeFilter Filter { get; init; } = Images.ResizeFilter.Bilinear;
    /// <summary>Whether a shrinking resize is antialiased (default true, as PIL).</summary>
    public bool Antialias { get; init; } = true;

    /// <inheritdoc />
    public override string ToString() =>
        (ResizeShortSide is { } r ? $"resize {r} ({Filter.ToString().ToLowerInvariant()}{(Antialias ? "" : ", no antialias")}), " : "") + (CenterCrop is { } c ? $"crop {c}, " : "") +
        $"scale {Scale:G6}, mean [{string.Join(",", Mean.Select(m => m.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}], " +
        $"std [{string.Join(",", Std.Select(m => m.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}]";
}
