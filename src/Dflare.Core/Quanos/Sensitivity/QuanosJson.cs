using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Quanos.Gradients;

namespace Dflare.Quanos.Sensitivity;

/// <summary>
/// The <c>quanos.json</c> format and its chart <c>quanos-layers.png</c> (<c>dflare quanos --report DIR</c>, and
/// <c>--json</c> on one line): builds the document from a <see cref="QuanosReport"/> and writes the files
/// atomically. Apart from the <c>seconds</c> field, the same analysis gives the same bytes.
/// </summary>
public static class QuanosJson
{
    /// <summary>The document's name in a report folder.</summary>
    public const string FileName = "quanos.json";
    /// <summary>The chart's name in a report folder.</summary>
    public const string ChartFileName = "quanos-layers.png";

    /// <summary>
    /// Writes <paramref name="json"/> (indented, newline-terminated) to <c>DIRECTORY/quanos.json</c> and the chart of
    /// <paramref name="report"/> to <c>DIRECTORY/quanos-layers.png</c>, each atomically.
    /// </summary>
    public static void Write(string directory, QuanosReport report, JsonObject json)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Chart(report).SavePng(Path.Combine(directory, ChartFileName));
    }

    /// <summary>The per-layer chart of <c>quanos-layers.png</c>: ANS, the pure rule's bits and the constrained bits per weighted layer.</summary>
    public static Images.Image Chart(QuanosReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var title = $"QUANOS: ANS and bits per layer - {Path.GetFileName(r.Model)}";
        var sub = string.Create(inv, $"eps = {r.Options.Epsilon:0.####} ({r.Options.Epsilon * 255:0.##}/255), {r.Seeds} seeds, gradient {r.Estimator}, k_init {r.Options.KInit}, tolerance {r.Options.Tolerance:0.###}");
        return AnsChart.Render(r.Ans, r.ConstrainedBits, title, sub);
    }

    private static JsonObject Bits(IReadOnlyDictionary<string, int> bits, IEnumerable<LayerSensitivity> order)
    {
        var o = new JsonObject();
        foreach (var l in order) o[l.Name] = bits[l.Name];
        return o;
    }

    /// <summary>
    /// The <c>quanos.json</c> document of one analysis: the settings, the seeds, ANS and bits per layer, the
    /// constrained variant's steps, the sizes, every compared model's figures and the QUANOS claims.
    /// </summary>
    /// <param name="r">The analysis.</param>
    /// <param name="outPath">Where the hybrid-precision model was written, if it was.</param>
    /// <param name="outKind">Which variant was written there.</param>
    public static JsonObject ToJson(QuanosReport r, string? outPath, PrecisionKind? outKind)
    {
        var o = r.Options;
        var floatV = r.Float;
        var layers = new JsonArray(r.Layers.Select(l => (JsonNode)new JsonObject
        {
            ["name"] = l.Name,
            ["op"] = l.Op,
            ["outputTensor"] = l.OutputTensor,
            ["weights"] = l.Weights,
            ["parameters"] = l.Parameters,
            ["ans"] = l.Ans,
            ["ansStdErr"] = l.AnsStdErr,
            ["seeds"] = l.Seeds,
            ["scaled"] = l.Scaled,
            ["rawBits"] = l.RawBits,
            ["bits"] = l.Bits,
            ["clamped"] = l.Clamped,
            ["margin"] = l.Margin,
            ["marginStdErrs"] = l.MarginStdErrs,
            ["fragile"] = l.Fragile,
            ["constrainedBits"] = r.ConstrainedBits is { } cb ? cb[l.Name] : null,
        }).ToArray());
        var c = r.Constrained;
        var obj = new JsonObject
        {
            ["model"] = r.Model,
            ["epsilon"] = o.Epsilon,
            ["epsilonGreyLevels"] = Math.Round(o.Epsilon * 255, 6),
            ["gradient"] = r.Estimator,
            ["gradientDescription"] = r.EstimatorDescription,
            ["samples"] = o.Gradient is SpsaGradient s ? s.Samples : null,
            ["queriesPerGradient"] = r.QueriesPerGradient,
            ["seeds"] = r.Seeds,
            ["seedIds"] = new JsonArray(r.Float.Robustness!.Seeds.Select(x => (JsonNode)JsonValue.Create(x.Id)).ToArray()),
            ["seedLabels"] = new JsonArray(r.Float.Robustness!.Seeds.Select(x => (JsonNode?)JsonValue.Create(x.Label)).ToArray()),
            ["labelled"] = r.Labelled,
            ["kInit"] = o.KInit,
            ["tolerance"] = o.Tolerance,
            ["fragileMargin"] = o.FragileMargin,
            ["compare"] = o.Compare,
            ["grid"] = o.Grid,
            ["maxEpsilon"] = o.Robustness.ScanMax,
            ["refine"] = o.Refine,
            ["adversarialImages"] = "float FGSM images of the float model at epsilon (not rounded to 8 bits)",
            ["cleanAccuracy"] = floatV.CleanAccuracy,
            ["adversarialAccuracy"] = floatV.AdversarialAccuracy,
            ["flipRate"] = floatV.FlipRate,
            ["medianFlipEpsilon"] = floatV.MedianFlipEpsilon,
            ["layers"] = layers,
            ["bits"] = new JsonObject
            {
                ["ans"] = Bits(r.Bits, r.Layers),
                ["constrained"] = r.ConstrainedBits is { } b ? Bits(b, r.Layers) : null,
            },
            ["clampedLayers"] = new JsonArray(r.Ans.ClampedLayers.Select(l => (JsonNode)JsonValue.Create(l.Name)).ToArray()),
            ["fragileLayers"] = new JsonArray(r.Ans.FragileLayers.Select(l => (JsonNode)JsonValue.Create(l.Name)).ToArray()),
            ["constrained"] = c is null ? null : new JsonObject
            {
                ["met"] = c.Met,
                ["allowedDisagreements"] = c.AllowedDisagreements,
                ["startDisagreements"] = c.StartFidelity.Disagreements,
                ["startAgreement"] = c.StartAgreement,
                ["disagreements"] = c.Fidelity.Disagreements,
                ["agreement"] = c.Agreement,
                ["relativeOutputError"] = c.Fidelity.RelativeError,
                ["evaluations"] = c.Evaluations,
                ["steps"] = new JsonArray(c.Steps.Select(st => (JsonNode)new JsonObject
                {
                    ["layer"] = st.Layer,
                    ["bits"] = st.Bits,
                    ["isolatedDisagreements"] = st.Isolated.Disagreements,
                    ["isolatedRelativeError"] = st.Isolated.RelativeError,
                    ["disagreements"] = st.Result.Disagreements,
                    ["relativeError"] = st.Result.RelativeError,
                }).ToArray()),
            },
            ["hybridUnavailable"] = r.HybridUnavailable,
            ["sizes"] = new JsonObject
            {
                ["definition"] = "effective weight storage: sum over weighted layers of (weights*k + output channels*32 + biases*32) bits / 8; float layers (weights + biases)*32 bits / 8",
                ["floatFileBytes"] = r.FloatFileBytes,
                ["int8FileBytes"] = r.Int8FileBytes,
                ["hybridFileBytes"] = r.HybridFileBytes,
                ["floatWeightBytes"] = floatV.Size.Bytes,
                ["uniform8WeightBytes"] = r.Variant(PrecisionKind.Uniform8)?.Size.Bytes,
                ["ansHybridWeightBytes"] = r.Variant(PrecisionKind.AnsHybrid)?.Size.Bytes,
                ["constrainedHybridWeightBytes"] = r.Variant(PrecisionKind.ConstrainedHybrid)?.Size.Bytes,
            },
            ["models"] = new JsonArray(r.Variants.Select(v => (JsonNode)new JsonObject
            {
                ["kind"] = JsonNamingPolicy.CamelCase.ConvertName(v.Kind.ToString()),
                ["label"] = v.Label,
                ["uniformBits"] = v.UniformBits,
                ["meanBits"] = v.MeanBits,
                ["weightedMeanBits"] = v.WeightedMeanBits,
                ["weightBytes"] = v.Size.Bytes,
                ["sizeVsFloat"] = v.SizeVsFloat,
                ["sizeVsUniform8"] = v.SizeVsUniform8,
                ["cleanAccuracy"] = v.CleanAccuracy,
                ["agreement"] = v.Agreement,
                ["disagreements"] = v.Disagreements,
                ["relativeOutputError"] = v.RelativeOutputError,
                ["adversarialAccuracy"] = v.AdversarialAccuracy,
                ["flipRate"] = v.FlipRate,
                ["medianFlipEpsilon"] = v.MedianFlipEpsilon,
                ["transferAccuracy"] = v.TransferAccuracy,
                ["transferFlipRate"] = v.TransferFlipRate,
                ["queries"] = v.Robustness?.Queries,
                ["adversarialPredictions"] = v.Robustness is { } rb ? new JsonArray(rb.Seeds.Select(x => (JsonNode)JsonValue.Create(x.AdversarialPrediction)).ToArray()) : null,
            }).ToArray()),
            ["claims"] = new JsonArray(r.Claims.Select(cl => (JsonNode)new JsonObject
            {
                ["hybrid"] = JsonNamingPolicy.CamelCase.ConvertName(cl.Hybrid.ToString()),
                ["uniform"] = JsonNamingPolicy.CamelCase.ConvertName(cl.Uniform.ToString()),
                ["uniformBits"] = cl.UniformBits,
                ["adversarialAccuracyDelta"] = cl.AdversarialAccuracyDelta,
                ["cleanAccuracyDelta"] = cl.CleanAccuracyDelta,
                ["hybridOnlyCorrect"] = cl.HybridOnlyCorrect,
                ["uniformOnlyCorrect"] = cl.UniformOnlyCorrect,
                ["pValue"] = cl.PValue,
                ["sizeRatio"] = cl.SizeRatio,
                ["held"] = cl.Held,
            }).ToArray()),
            ["out"] = outPath,
            ["outVariant"] = outKind is { } k ? JsonNamingPolicy.CamelCase.ConvertName(k.ToString()) : null,
            ["seconds"] = Math.Round(r.Seconds, 3),
        };
        return obj;
    }
}
