using Dflare.Images;
using Microsoft.ML.OnnxRuntime;

namespace Dflare.Models;

/// <summary>Resolving a <see cref="ModelInfo"/> from a session's metadata and the merged options.</summary>
public sealed partial record ModelInfo
{
    /// <summary>
    /// Resolves how to feed and read a model from its session's metadata and <paramref name="o"/> (options over
    /// sidecar, already merged). What the metadata leaves open is learnt from probe runs that are not queries: the
    /// class count when the output row has a dynamic axis (one row on a black image), and logits vs probabilities
    /// when the output kind is <c>auto</c> (one row on a mid-grey image).
    /// </summary>
    /// <exception cref="DflareException">The model is not an image classifier these options can feed.</exception>
    internal static ModelInfo Resolve(InferenceSession s, string path, ModelOptions o)
    {
        var info = FromMetadata(s, path, o, out var classes, out var probeKind);
        if (classes is null)
        {
            var black = new Image(info.Width, info.Height, info.Channels);
            info = info with { Classes = Probe(s, info, black, checkRow: false).Length };
            CheckClasses(path, info.OutputName, info.Classes);
        }
        if (probeKind)
        {
            var grey = new Image(info.Width, info.Height, info.Channels);
            Array.Fill(grey.Pixels, (byte)128);
            float[] row;
            try { row = Probe(s, info, grey, checkRow: true); }
            catch (NonFiniteOutputException e) { throw e.OnProbe(); }
            double sum = 0; bool nonNegative = true;
            foreach (var v in row) { sum += v; if (v < 0) nonNegative = false; }
            info = info with { OutputKind = nonNegative && Math.Abs(sum - 1) <= 1e-3 ? OutputKind.Probabilities : OutputKind.Logits };
        }
        return info;
    }

    private static float[] Probe(InferenceSession s, ModelInfo info, Image image, bool checkRow)
    {
        var encoder = new ImageEncoder(info);
        return new SessionRunner(s, info).Rows(1, (_, dst) => encoder.Normalize<byte>(image.Pixels, dst), checkRow)[0];
    }

    /// <summary>
    /// What the metadata and options say; <paramref name="classes"/> is null (and <see cref="Classes"/> 0) when the
    /// output row has a dynamic axis, <paramref name="probeKind"/> true when the output kind is <c>auto</c>.
    /// </summary>
    private static ModelInfo FromMetadata(InferenceSession s, string path, ModelOptions o, out int? classes, out bool probeKind)
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
        else throw new DflareException($"Model '{path}' has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); choose the image input with {SetWith("input")}.");

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
            else throw new DflareException($"Model '{path}': cannot tell the layout of input shape [{string.Join(",", shape)}] (no 1- or 3-channel axis); set the layout (nchw or nhwc) with {SetWith("layout")}.");
            (channels, h, w) = layout == TensorLayout.Nchw ? (shape[1], shape[2], shape[3]) : (shape[3], shape[1], shape[2]);
            if (channels is not (1 or 3))
                throw new DflareException($"Model '{path}': input shape [{string.Join(",", shape)}] as {layout.ToString().ToUpperInvariant()} has {channels} channels; only 1 or 3 are supported.");
        }
        if (h <= 0 || w <= 0)
        {
            if (o.CenterCrop is { } crop) { h = crop; w = crop; }
            else throw new DflareException($"Model '{path}': input '{inputName}' has dynamic height/width [{string.Join(",", shape)}]; give the image size with {SetWith("crop")} (and {SetWith("resize")}).");
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
                (candidates.Length > 0 ? $"choose the classifier's output with {SetWith("output")} (its outputs that are: {string.Join(", ", candidates)})."
                                       : "this model has no class-vector output, so it is not an image classifier dflare can compare."));
        }
        // Output row: all axes but the batch axis; a [classes] output (no batch axis) is allowed for batch 1.
        int rowLength;
        if (od.Length == 1 && (fixedBatch == 1)) rowLength = od[0];
        else if (od.Length >= 2) rowLength = od.Skip(1).Aggregate(1, (a, b) => b > 0 && a > 0 ? a * b : -1);
        else rowLength = od.Length == 1 ? od[0] : -1;
        classes = rowLength > 0 ? rowLength : null;
        if (classes is not null) CheckClasses(path, outputName, rowLength);
        int maxBatch = fixedBatch ?? Math.Max(1, o.MaxBatch ?? 64);
        var kind = o.OutputKind ?? OutputKind.Auto;
        probeKind = kind == OutputKind.Auto; // an output kind that is given is never guessed over
        return new ModelInfo
        {
            Path = path, InputName = inputName, InputShape = shape, FixedBatch = fixedBatch, Layout = layout,
            Channels = channels, Height = h, Width = w, OutputName = outputName, Classes = classes ?? 0,
            OutputKind = kind == OutputKind.Auto ? OutputKind.Logits : kind, Preprocessing = pre, MaxBatch = maxBatch,
        };
    }

    /// <summary>
    /// Where a preprocessing field is set, for messages that reach every kind of user: the sidecar's field, the
    /// attribute's property (when it has one) and the command-line flag, e.g. <c>"layout" in the model's sidecar (Layout = …, --layout)</c>.
    /// </summary>
    internal static string SetWith(string field) => field switch
    {
        "input" => "\"input\" in the model's sidecar (--input)",
        "resize" => "\"resize\" in the model's sidecar (Resize = N, --resize N)",
        "crop" => "\"crop\" in the model's sidecar (Crop = N, --crop N)",
        _ => $"\"{field}\" in the model's sidecar ({char.ToUpperInvariant(field[0])}{field[1..]} = …, --{field})",
    };

    /// <summary>A classifier needs at least 2 classes.</summary>
    /// <exception cref="DflareException">Fewer.</exception>
    private static void CheckClasses(string path, string outputName, int classes)
    {
        if (classes < 2) throw new DflareException($"Model '{path}': output '{outputName}' has {classes} value(s) per image; a classifier needs at least 2 classes.");
    }
}
