using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Attacks;
using Dflare.Quanos.Gradients;

namespace Dflare.Quanos.Robustness;

/// <summary>
/// The <c>robustness.json</c> format (<c>dflare robustness --report DIR</c>, and <c>--json</c> on one line): builds
/// the document from a <see cref="RobustnessCheck"/>'s results and writes it atomically. Apart from the
/// <c>seconds</c> fields, the same measurement gives the same bytes.
/// </summary>
public static class RobustnessJson
{
    /// <summary>The file's name in a report folder.</summary>
    public const string FileName = "robustness.json";

    /// <summary>Writes <paramref name="json"/> (indented, newline-terminated) to <c>DIRECTORY/robustness.json</c> atomically; returns its path.</summary>
    public static string Write(string directory, JsonObject json)
    {
        var path = Path.Combine(directory, FileName);
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return path;
    }

    /// <summary>
    /// The <c>robustness.json</c> document of one measurement: the settings (the Square Attack's and FGSM's only when
    /// that attack ran), each model's figures with per-seed and per-attack detail, the comparison of the two models
    /// when <paramref name="compared"/> is given, and every gradient-masking warning.
    /// </summary>
    /// <param name="options">The FGSM and flip-ε scan settings (ε is also the Square Attack's budget).</param>
    /// <param name="attacks">The attacks that ran (<c>square</c>, <c>fgsm</c>).</param>
    /// <param name="gradient">FGSM's gradient estimator.</param>
    /// <param name="squareOptions">The Square Attack's settings.</param>
    /// <param name="flipSteps">The Square Attack's bisection steps of the flip-ε search.</param>
    /// <param name="imageLength">Values per model input image (for the queries one gradient costs).</param>
    /// <param name="seeds">The number of seeds measured.</param>
    /// <param name="main">The (original) model's figures.</param>
    /// <param name="compared">The compared (compressed) model's figures, if any.</param>
    /// <param name="cosine">True when FGSM's SPSA estimate was compared with finite differences.</param>
    public static JsonObject ToJson(RobustnessOptions options, IReadOnlyList<string> attacks, IGradientEstimator gradient, SquareAttackOptions squareOptions, int flipSteps,
        int imageLength, int seeds, ModelRobustness main, ModelRobustness? compared, bool cosine)
    {
        bool fgsm = attacks.Contains("fgsm"), square = attacks.Contains("square");
        var obj = new JsonObject
        {
            ["epsilon"] = options.Epsilon,
            ["epsilonGreyLevels"] = Math.Round(options.Epsilon * 255, 6),
            ["maxEpsilon"] = options.ScanMax,
            ["loss"] = options.Loss.ToString().ToLowerInvariant(),
            ["attacks"] = new JsonArray(main.Attacks.Select(a => (JsonNode)JsonValue.Create(a.Attack)).ToArray()),
            ["square"] = !square ? null : new JsonObject
            {
                ["queriesPerSeed"] = squareOptions.QueriesPerSeed,
                ["pInit"] = squareOptions.PInit,
                ["seed"] = squareOptions.Seed,
                ["flipSteps"] = flipSteps,
            },
            ["grid"] = fgsm ? options.Grid : null,
            ["refine"] = fgsm ? options.Refine : null,
            ["steps"] = fgsm ? options.Steps : null,
            ["stepSize"] = fgsm ? options.Attack.EffectiveStepSize : null,
            ["gradient"] = fgsm ? gradient.Name : null,
            ["gradientDescription"] = fgsm ? gradient.Description : null,
            ["samples"] = fgsm && gradient is SpsaGradient s ? s.Samples : null,
            ["queriesPerGradient"] = fgsm ? gradient.ProbesPerImage(imageLength) : null,
            ["seeds"] = seeds,
            ["adversarialImages"] = "float (not rounded to 8 bits)",
            ["model"] = Model(main, cosine),
            ["compare"] = compared is null ? null : Model(compared, cosine),
            ["comparison"] = compared is null ? null : new JsonObject
            {
                ["adversarialAccuracyDelta"] = compared.AdversarialAccuracy - main.AdversarialAccuracy,
                ["flipRateDelta"] = compared.Count == 0 ? 0 : (double)(compared.Flips - main.Flips) / compared.Count,
                ["lessRobust"] = FlipEpsilonPairs(main, compared).Count(p => p.Compressed < p.Original),
                ["moreRobust"] = FlipEpsilonPairs(main, compared).Count(p => p.Compressed > p.Original),
                ["equallyRobust"] = FlipEpsilonPairs(main, compared).Count(p => p.Compressed == p.Original),
                ["transferFlips"] = compared.TransferFlips,
                ["transferFlipRate"] = compared.Count == 0 ? 0 : (double)compared.TransferFlips!.Value / compared.Count,
                ["transferAccuracy"] = compared.TransferAccuracy,
            },
            ["warnings"] = new JsonArray(main.Warnings.Concat(compared?.Warnings ?? []).Select(w => (JsonNode)JsonValue.Create(w.Message)).ToArray()),
        };
        return obj;
    }

    /// <summary>
    /// Per seed, the smallest flipping ε of the original and of the compressed model (worst case over the evidence),
    /// +∞ where a model does not flip in the scan.
    /// </summary>
    public static IEnumerable<(double Original, double Compressed)> FlipEpsilonPairs(ModelRobustness original, ModelRobustness compressed) =>
        original.FlipEpsilon.Zip(compressed.FlipEpsilon).Select(p => (p.First ?? double.PositiveInfinity, p.Second ?? double.PositiveInfinity));

    private static JsonObject Model(ModelRobustness m, bool cosine)
    {
        var flipEps = m.FlipEpsilon;
        var flipped = m.FlippedAtEpsilon;
        var first = m.Attacks[0].Seeds;
        return new JsonObject
        {
            ["path"] = m.Model,
            ["cleanAccuracy"] = m.Attacks[0].CleanAccuracy,
            ["adversarialAccuracy"] = m.AdversarialAccuracy,
            ["flips"] = m.Flips,
            ["flipRate"] = m.Count == 0 ? 0 : (double)m.Flips / m.Count,
            ["flippedInScan"] = flipEps.Count(e => e is not null),
            ["medianFlipEpsilon"] = m.MedianFlipEpsilon,
            ["distinctOutputShare"] = m.DistinctOutputShare,
            ["maskingSuspected"] = m.MaskingSuspected,
            ["warnings"] = new JsonArray(m.Warnings.Select(w => (JsonNode)new JsonObject
            {
                ["kind"] = w.Kind.ToString(), ["attack"] = w.Attack, ["message"] = w.Message,
            }).ToArray()),
            ["transfer"] = m.TransferPredictions is null ? null : new JsonObject
            {
                ["flips"] = m.TransferFlips, ["accuracy"] = m.TransferAccuracy,
            },
            ["queries"] = m.Attacks.Sum(a => a.Queries),
            ["seconds"] = Math.Round(m.Seconds, 3),
            ["perSeed"] = new JsonArray(Enumerable.Range(0, m.Count).Select(i => (JsonNode)new JsonObject
            {
                ["id"] = first[i].Id,
                ["label"] = first[i].Label,
                ["clean"] = first[i].CleanPrediction,
                ["flippedAtEpsilon"] = flipped[i],
                ["transfer"] = m.TransferPredictions is null ? null : m.TransferPredictions[i],
                ["flipEpsilon"] = flipEps[i],
            }).ToArray()),
            ["byAttack"] = new JsonObject(m.Attacks.Select(a => KeyValuePair.Create(a.Attack, (JsonNode?)Report(a, cosine && a.Attack != "square")))),
        };
    }

    private static JsonObject Report(RobustnessReport r, bool cosine)
    {
        var o = new JsonObject
        {
            ["description"] = r.Estimator,
            ["adversarialAccuracy"] = r.AdversarialAccuracy,
            ["flips"] = r.Flips,
            ["flipRate"] = r.FlipRate,
            ["flippedInScan"] = r.FlippedInScan,
            ["medianFlipEpsilon"] = r.MedianFlipEpsilon,
            ["meanZeroGradientShare"] = r.MeanZeroGradientShare,
            ["meanCosineToFd"] = cosine ? r.MeanCosineToReference : null,
            ["queries"] = r.Queries,
            ["queriesPerSeed"] = r.Count == 0 ? 0 : (double)r.Queries / r.Count,
            ["seconds"] = Math.Round(r.Seconds, 3),
            ["perSeed"] = new JsonArray(r.Seeds.Select(s =>
            {
                var e = new JsonObject
                {
                    ["id"] = s.Id,
                    ["label"] = s.Label,
                    ["clean"] = s.CleanPrediction,
                    ["adversarial"] = s.AdversarialPrediction,
                    ["cleanLoss"] = s.CleanLoss,
                    ["adversarialLoss"] = s.AdversarialLoss,
                    ["flipEpsilon"] = s.FlipEpsilon,
                    ["queries"] = s.Queries,
                };
                if (cosine) e["cosineToFd"] = s.CosineToReference;
                return (JsonNode)e;
            }).ToArray()),
        };
        if (!cosine) o.Remove("meanCosineToFd");
        if (r.MeanZeroGradientShare is null) o.Remove("meanZeroGradientShare");
        return o;
    }
}
