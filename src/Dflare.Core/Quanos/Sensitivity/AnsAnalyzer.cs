using System.Globalization;
using Dflare.Models;
using Dflare.Onnx;

namespace Dflare.Quanos.Sensitivity;

/// <summary>The adversarial noise sensitivity of one weighted layer and the bit width the QUANOS rule gives it.</summary>
public sealed record LayerSensitivity
{
    /// <summary>The layer's stable name (as for <c>--bits-per-layer</c> and <c>dflare inspect</c>).</summary>
    public required string Name { get; init; }
    /// <summary>The operator (<c>Conv</c>, <c>Gemm</c>, <c>MatMul</c>, <c>QLinearConv</c>, ...).</summary>
    public required string Op { get; init; }
    /// <summary>The layer's output tensor, whose activation a_l is compared.</summary>
    public required string OutputTensor { get; init; }
    /// <summary>Weight values of the layer.</summary>
    public required long Weights { get; init; }
    /// <summary>Weights plus bias values.</summary>
    public required long Parameters { get; init; }
    /// <summary>ANS_l = mean over seeds of ‖a_l(x_adv) − a_l(x)‖₂ / ‖a_l(x)‖₂ (≥ 0, finite).</summary>
    public required double Ans { get; init; }
    /// <summary>Standard error of that mean (sample standard deviation / √seeds; 0 for one seed).</summary>
    public required double AnsStdErr { get; init; }
    /// <summary>Seeds the mean is over (seeds whose clean activation is all zeros while the adversarial one is not are left out).</summary>
    public required int Seeds { get; init; }
    /// <summary>k_init · ANS, the value the rule rounds.</summary>
    public required double Scaled { get; init; }
    /// <summary>The unclamped rule k_init − round(k_init · ANS).</summary>
    public required int RawBits { get; init; }
    /// <summary>The rule's bit width, clamped to [2, k_init].</summary>
    public required int Bits { get; init; }
    /// <summary>True when <see cref="RawBits"/> was outside [2, k_init].</summary>
    public required bool Clamped { get; init; }
    /// <summary>Distance of <see cref="Scaled"/> to the nearest rounding boundary (a half-integer), in [0, 0.5].</summary>
    public required double Margin { get; init; }
    /// <summary>Standard error of <see cref="Scaled"/> (k_init · <see cref="AnsStdErr"/>).</summary>
    public required double ScaledStdErr { get; init; }
    /// <summary><see cref="Margin"/> in standard errors of <see cref="Scaled"/> (null when the standard error is 0).</summary>
    public double? MarginStdErrs => ScaledStdErr > 0 ? Margin / ScaledStdErr : null;
    /// <summary>True when the margin is within the fragility threshold and rounding the other way would change <see cref="Bits"/>.</summary>
    public required bool Fragile { get; init; }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name} ({Op}): ANS {Ans:F4} ± {AnsStdErr:F4} → {Bits} bits{(Clamped ? $" (clamped from {RawBits})" : "")}, margin {Margin:F3}{(Fragile ? " FRAGILE" : "")}");
}

/// <summary>ANS per weighted layer of a model on a set of seeds, with the pure rule's bit widths.</summary>
public sealed record AnsReport
{
    /// <summary>The model's name or path.</summary>
    public required string Model { get; init; }
    /// <summary>k_init of the rule.</summary>
    public required int KInit { get; init; }
    /// <summary>The fragility threshold on the margin.</summary>
    public required double FragileMargin { get; init; }
    /// <summary>Seeds (clean / adversarial image pairs) measured.</summary>
    public required int Seeds { get; init; }
    /// <summary>The weighted layers, in graph order.</summary>
    public required IReadOnlyList<LayerSensitivity> Layers { get; init; }

    /// <summary>The pure rule's bits by layer name.</summary>
    public IReadOnlyDictionary<string, int> Bits => Layers.ToDictionary(l => l.Name, l => l.Bits, StringComparer.Ordinal);
    /// <summary>Layers whose bits were clamped.</summary>
    public IReadOnlyList<LayerSensitivity> ClampedLayers => Layers.Where(l => l.Clamped).ToList();
    /// <summary>Layers whose bits are fragile.</summary>
    public IReadOnlyList<LayerSensitivity> FragileLayers => Layers.Where(l => l.Fragile).ToList();
}

/// <summary>
/// Measures the adversarial noise sensitivity (ANS) of every weighted layer (Conv, Gemm, MatMul and their quantized
/// forms): <c>ANS_l = mean over seeds of ‖a_l(x_adv) − a_l(x)‖₂ / ‖a_l(x)‖₂</c>, where a_l is the layer's output
/// tensor (dequantized for QOperator models), read with <see cref="ActivationReader"/> from the exposed-layer model.
/// </summary>
/// <remarks>
/// <para>Norms are computed in double. A seed whose clean activation is all zeros counts as 0 when its adversarial
/// activation is too, and is left out of that layer's mean otherwise (its ratio is undefined); a layer left with no
/// seeds is an error.</para>
/// <para>Exposing intermediate tensors can stop ONNX Runtime from fusing nodes (e.g. Conv + Add in resnet8), which may
/// change the activations in their last float bits; ANS is not sensitive to that.</para>
/// </remarks>
public sealed class AnsAnalyzer
{
    /// <summary>Creates the analyzer.</summary>
    /// <param name="kInit">k_init of the bit-width rule (2..16).</param>
    /// <param name="fragileMargin">Margin below which a layer's bits are called fragile (in units of k_init · ANS), in [0, 0.5].</param>
    /// <param name="batch">Seeds per activation read (their clean and adversarial images go in one run list).</param>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public AnsAnalyzer(int kInit = BitAllocation.DefaultKInit, double fragileMargin = BitAllocation.DefaultFragileMargin, int batch = 32)
    {
        BitAllocation.ValidateKInit(kInit);
        BitAllocation.ValidateFragileMargin(fragileMargin);
        if (batch < 1) throw new DflareException($"The ANS batch must be at least 1 seed; got {batch}.");
        KInit = kInit; FragileMargin = fragileMargin; Batch = batch;
    }

    /// <summary>k_init of the rule.</summary>
    public int KInit { get; }
    /// <summary>Fragility threshold on the margin.</summary>
    public double FragileMargin { get; }
    /// <summary>Seeds per activation read.</summary>
    public int Batch { get; }

    /// <summary>The weighted layers of a model; a model without any is an error naming it.</summary>
    /// <exception cref="DflareException">The model has no weighted layer.</exception>
    public static IReadOnlyList<WeightedLayer> LayersOf(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = WeightedLayers.Find(model, readValues: false);
        if (layers.Count == 0)
            throw new DflareException($"Model '{model.Name}' has no weighted layers (Conv, Gemm or MatMul with constant weights, or QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger); QUANOS measures ANS per weighted layer, so there is nothing to measure.");
        return layers;
    }

    /// <summary>Measures ANS for every weighted layer from pairs of clean and adversarial images.</summary>
    /// <param name="model">The model (not changed).</param>
    /// <param name="options">Its preprocessing (as for <see cref="OnnxClassifier.Load"/>; a sidecar is not read here).</param>
    /// <param name="clean">The clean images x: float pixels 0..255, H×W×C at model geometry.</param>
    /// <param name="adversarial">The adversarial images x_adv, same order and size.</param>
    /// <param name="progress">Called with the number of seeds read so far.</param>
    /// <exception cref="DflareException">No weighted layer, no seeds, mismatched lists, an image of the wrong size, or a layer with a zero clean activation on every seed.</exception>
    public AnsReport Analyze(OnnxModel model, ModelOptions? options, IReadOnlyList<float[]> clean, IReadOnlyList<float[]> adversarial, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(adversarial);
        var layers = LayersOf(model);
        if (clean.Count == 0) throw new DflareException($"No seeds to measure ANS on for model '{model.Name}'.");
        if (clean.Count != adversarial.Count)
            throw new DflareException($"ANS needs one adversarial image per clean image; got {clean.Count} clean and {adversarial.Count} adversarial.");
        using var reader = ActivationReader.Create(model, options, layers.Select(l => l.OutputTensor).Distinct(StringComparer.Ordinal));
        int len = reader.Classifier.Info.ImageLength;
        for (int i = 0; i < clean.Count; i++)
            if (clean[i].Length != len || adversarial[i].Length != len)
                throw new DflareException($"Image {i} has {(clean[i].Length != len ? clean[i].Length : adversarial[i].Length)} values but model '{model.Name}' takes " +
                    $"{reader.Classifier.Info.Width}x{reader.Classifier.Info.Height}x{reader.Classifier.Info.Channels} = {len}.");

        var ratios = layers.Select(_ => new List<double>(clean.Count)).ToArray();
        for (int start = 0; start < clean.Count; start += Batch)
        {
            int n = Math.Min(Batch, clean.Count - start);
            var images = new List<float[]>(2 * n);
            for (int i = 0; i < n; i++) images.Add(clean[start + i]);
            for (int i = 0; i < n; i++) images.Add(adversarial[start + i]);
            var rows = reader.Read(images);
            for (int k = 0; k < layers.Count; k++)
            {
                var r = rows[layers[k].OutputTensor].Rows;
                for (int i = 0; i < n; i++)
                    if (Ratio(r[i], r[n + i]) is { } q) ratios[k].Add(q);
            }
            progress?.Invoke(start + n);
        }

        var result = new List<LayerSensitivity>(layers.Count);
        for (int k = 0; k < layers.Count; k++)
        {
            var l = layers[k];
            var q = ratios[k];
            if (q.Count == 0)
                throw new DflareException($"Model '{model.Name}': layer '{l.Name}' outputs all zeros on every clean seed, so its ANS (a ratio to ‖a(x)‖) is undefined.");
            var (mean, se) = MeanAndStdErr(q);
            if (!double.IsFinite(mean))
                throw new DflareException($"Model '{model.Name}': layer '{l.Name}' gave a non-finite ANS (its activations overflow or hold NaN).");
            result.Add(Sensitivity(l, mean, se, q.Count, KInit, FragileMargin));
        }
        return new AnsReport { Model = model.Name, KInit = KInit, FragileMargin = FragileMargin, Seeds = clean.Count, Layers = result };
    }

    /// <summary>The row of a layer with a measured ANS: the rule's bits, clamping, margin and fragility.</summary>
    public static LayerSensitivity Sensitivity(WeightedLayer layer, double ans, double stdErr, int seeds, int kInit, double fragileMargin)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new LayerSensitivity
        {
            Name = layer.Name, Op = layer.OpType, OutputTensor = layer.OutputTensor, Weights = layer.WeightCount, Parameters = layer.Parameters,
            Ans = ans, AnsStdErr = stdErr, Seeds = seeds, Scaled = BitAllocation.Scaled(ans, kInit), ScaledStdErr = kInit * stdErr,
            RawBits = BitAllocation.RawBits(ans, kInit), Bits = BitAllocation.Bits(ans, kInit), Clamped = BitAllocation.Clamped(ans, kInit),
            Margin = BitAllocation.Margin(ans, kInit), Fragile = BitAllocation.IsFragile(ans, kInit, fragileMargin),
        };
    }

    /// <summary>
    /// ‖adv − clean‖₂ / ‖clean‖₂ in double; 0 when both are all zeros, null when only the clean one is (undefined).
    /// </summary>
    /// <exception cref="ArgumentException">The rows differ in length.</exception>
    public static double? Ratio(ReadOnlySpan<float> clean, ReadOnlySpan<float> adversarial)
    {
        if (clean.Length != adversarial.Length)
            throw new ArgumentException($"Activation rows differ in length ({clean.Length} and {adversarial.Length}).");
        double num = 0, den = 0;
        for (int i = 0; i < clean.Length; i++)
        {
            double c = clean[i], d = (double)adversarial[i] - c;
            num += d * d; den += c * c;
        }
        if (den == 0) return num == 0 ? 0 : null;
        return Math.Sqrt(num) / Math.Sqrt(den);
    }

    /// <summary>Mean and standard error (sample standard deviation / √n; 0 for n = 1).</summary>
    public static (double Mean, double StdErr) MeanAndStdErr(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return (double.NaN, double.NaN);
        double mean = 0;
        foreach (var v in values) mean += v;
        mean /= values.Count;
        if (values.Count == 1) return (mean, 0);
        double ss = 0;
        foreach (var v in values) ss += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(ss / (values.Count - 1)) / Math.Sqrt(values.Count));
    }
}
