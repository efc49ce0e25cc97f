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
    public static Images.Image Chart(QuanosReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        var title = $"QUANOS: ANS and bits per layer - {Path.GetFileName(report.Model)}";
        var sub = string.Create(inv, $"eps = {report.Options.Epsilon:0.####} ({report.Options.Epsilon * 255:0.##}/255), {report.Seeds} seeds, gradient {report.Estimator}, k_init {report.Options.KInit}, tolerance {report.Options.Tolerance:0.###}");
        return AnsChart.Render(report.Ans, report.ConstrainedBits, title, sub);
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
    /// <param name="report">The analysis.</param>
    /// <param name="outPath">Where the hybrid-precision model was written, if it was.</param>
    /// <param name="outKind">Which variant was written there.</param>
    public static JsonObject ToJson(QuanosReport report, string? outPath, PrecisionKind? outKind)
    {
        var o = report.Options;
        var floatV = report.Float;
        var layers = new JsonArray(report.Layers.Select(l => (JsonNode)new JsonObject
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
            ["constrainedBits"] = report.ConstrainedBits is { } cb ? cb[l.Name] : null,
        }).ToArray());
        var c = report.Constrained;
        var obj = new JsonObject
        {
            ["model"] = report.Model,
            ["epsilon"] = o.Epsilon,
            ["epsilonGreyLevels"] = Math.Round(o.Epsilon * 255, 6),
            ["gradient"] = report.Estimator,
            ["gradientDescription"] = report.EstimatorDescription,
            ["samples"] = o.Gradient is SpsaGradient s ? s.Samples : null,
            ["queriesPerGradient"] = report.QueriesPerGradient,
            ["seeds"] = report.Seeds,
            ["seedIds"] = new JsonArray(report.Float.Robustness!.Seeds.Select(x => (JsonNode)JsonValue.Create(x.Id)).ToArray()),
            ["seedLabels"] = new JsonArray(report.Float.Robustness!.Seeds.Select(x => (JsonNode?)JsonValue.Create(x.Label)).ToArray()),
            ["labelled"] = report.Labelled,
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
                ["ans"] = Bits(report.Bits, report.Layers),
                ["constrained"] = report.ConstrainedBits is { } b ? Bits(b, report.Layers) : null,
            },
            ["clampedLayers"] = new JsonArray(report.Ans.ClampedLayers.Select(l => (JsonNode)JsonValue.Create(l.Name)).ToArray()),
            ["fragileLayers"] = new JsonArray(report.Ans.FragileLayers.Select(l => (JsonNode)JsonValue.Create(l.Name)).ToArray()),
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
            ["hybridUnavailable"] = report.HybridUnavailable,
            ["sizes"] = new JsonObject
            {
                ["definition"] = "effective weight storage: sum over weighted layers of (weights*k + output channels*32 + biases*32) bits / 8; float layers (weights + biases)*32 bits / 8",
                ["floatFileBytes"] = report.FloatFileBytes,
                ["int8FileBytes"] = report.Int8FileBytes,
                ["hybridFileBytes"] = report.HybridFileBytes,
                ["floatWeightBytes"] = floatV.Size.Bytes,
                ["uniform8WeightBytes"] = report.Variant(PrecisionKind.Uniform8)?.Size.Bytes,
                ["ansHybridWeightBytes"] = report.Variant(PrecisionKind.AnsHybrid)?.Size.Bytes,
                ["constrainedHybridWeightBytes"] = report.Variant(PrecisionKind.ConstrainedHybrid)?.Size.Bytes,
            },
            ["models"] = new JsonArray(report.Variants.Select(v => (JsonNode)new JsonObject
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
            ["claims"] = new JsonArray(report.Claims.Select(cl => (JsonNode)new JsonObject
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
            ["seconds"] = Math.Round(report.Seconds, 3),
        };
        return obj;
    }
}
