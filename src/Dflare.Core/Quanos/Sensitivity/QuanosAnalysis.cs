using System.Diagnostics;
using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Robustness;

namespace Dflare.Quanos.Sensitivity;

/// <summary>
/// The QUANOS analysis in one call: x_adv by query-only FGSM on the float model, ANS per weighted layer, the pure
/// bit-width rule and its accuracy-constrained variant, the hybrid-precision models, and their clean accuracy,
/// adversarial accuracy at ε and size beside uniform 8-bit and uniform k̄-bit models. Used by <c>dflare quanos</c>.
/// </summary>
/// <example>
/// <code>
/// var seeds = SeedSource.Open("t10k-images-idx3-ubyte.gz").Load(0, 100);
/// var report = QuanosAnalysis.Run("cnn.onnx", new ModelOptions { Mean = [0.5], Std = [0.5] }, seeds,
///     new QuanosOptions { Epsilon = 0.1 });
/// foreach (var l in report.Layers) Console.WriteLine($"{l.Name}: ANS {l.Ans:F3} → {l.Bits} bits");
/// var hybrid = report.Variant(PrecisionKind.ConstrainedHybrid); // null for models with non-float weights
/// </code>
/// </example>
public static class QuanosAnalysis
{
    /// <summary>Runs the analysis.</summary>
    /// <param name="modelPath">The float ONNX model (a model with quantized layers gets ANS and bits, but no hybrid).</param>
    /// <param name="options">Its preprocessing (over its sidecar <c>MODEL.onnx.json</c>, as for <see cref="OnnxClassifier.Load"/>).</param>
    /// <param name="seeds">The seeds (brought to the model's geometry); labels give the accuracies.</param>
    /// <param name="quanos">The settings (default <see cref="QuanosOptions"/>: ε = 8/255, finite differences, k_init 16, tolerance 0.01).</param>
    /// <param name="progress">Called as stages advance.</param>
    /// <returns>The report; the same inputs give the same numbers.</returns>
    /// <exception cref="DflareException">
    /// A bad setting (checked before the model is read), a missing or unloadable model, a model without weighted
    /// layers, no seeds, or a seed that does not fit the model.
    /// </exception>
    public static QuanosReport Run(string modelPath, ModelOptions? options, IReadOnlyList<Seed> seeds, QuanosOptions? quanos = null,
        Action<QuanosProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(seeds);
        var o = quanos ?? new QuanosOptions();
        o.Validate();
        var sw = Stopwatch.StartNew();
        if (!File.Exists(modelPath)) throw new DflareException($"Model file '{modelPath}' does not exist.");
        var model = OnnxModel.Load(modelPath);
        var layers = AnsAnalyzer.LayersOf(model);
        if (seeds.Count == 0) throw new DflareException($"No seeds to analyse model '{modelPath}' on.");
        var merged = ModelOptions.ForModel(modelPath, options);
        var clf = OnnxClassifier.Load(modelPath, options);
        var inputs = AttackInput.From(clf, seeds);
        var clean = inputs.Select(x => x.Pixels).ToList();
        var labels = inputs.Select(x => x.Label).ToArray();
        var estimator = o.EffectiveGradient;
        var analyzer = new RobustnessAnalyzer(estimator, o.Robustness);
        void Report(string stage, int done, int total) => progress?.Invoke(new QuanosProgress(stage, done, total));

        // 1. x_adv on the float model (one gradient per seed) with its robustness figures.
        var floatRobust = analyzer.Analyze(clf, inputs, d => Report("attacking the float model", d, inputs.Count));
        var adversarial = floatRobust.Seeds.Select(s => s.Adversarial).ToList();

        // 2. ANS per layer and the pure rule.
        var ans = new AnsAnalyzer(o.KInit, o.FragileMargin).Analyze(model, merged, clean, adversarial, d => Report("reading activations", d, inputs.Count));

        var floatRows = clf.PredictScores(clean);
        var floatPred = floatRows.Select(r => Labels.ArgMax(r)).ToArray();
        var floatSize = HybridPrecision.Size(layers, null);
        var variants = new List<PrecisionVariant>();
        PrecisionVariant Measure(PrecisionKind kind, string label, OnnxModel m, OnnxClassifier c, IReadOnlyDictionary<string, int>? bits,
            int? uniform, RobustnessReport? robust, WeightSize uniform8)
        {
            var rows = ReferenceEquals(c, clf) ? floatRows : c.PredictScores(clean);
            var fid = Compare(floatRows, floatPred, rows);
            var pred = rows.Select(r => Labels.ArgMax(r)).ToArray();
            var transfer = c.PredictScores(adversarial).Select(r => Labels.ArgMax(r)).ToArray();
            var size = HybridPrecision.Size(layers, bits);
            int labelled = labels.Count(l => l is not null);
            return new PrecisionVariant
            {
                Kind = kind, Label = label, Bits = bits, UniformBits = uniform, Model = m,
                MeanBits = HybridPrecision.MeanBits(layers, bits), WeightedMeanBits = HybridPrecision.WeightedMeanBits(layers, bits),
                Size = size, SizeVsFloat = size.Bytes / floatSize.Bytes, SizeVsUniform8 = size.Bytes / uniform8.Bytes,
                CleanAccuracy = labelled == 0 ? null : (double)Enumerable.Range(0, pred.Length).Count(i => labels[i] == pred[i]) / labelled,
                Disagreements = fid.Disagreements, Agreement = 1 - (double)fid.Disagreements / pred.Length, RelativeOutputError = fid.RelativeError,
                Robustness = robust,
                TransferAccuracy = labelled == 0 ? null : (double)Enumerable.Range(0, pred.Length).Count(i => labels[i] == transfer[i]) / labelled,
                TransferFlipRate = (double)Enumerable.Range(0, pred.Length).Count(i => transfer[i] != pred[i]) / pred.Length,
            };
        }

        var uniform8Size = HybridPrecision.Size(layers, layers.ToDictionary(l => l.Name, _ => 8, StringComparer.Ordinal));
        variants.Add(Measure(PrecisionKind.Float, "float", model, clf, null, null, floatRobust, uniform8Size));

        var why = HybridPrecision.WhyNot(model);
        ConstrainedAllocation? constrained = null;
        var claims = new List<QuanosClaim>();
        long? int8Bytes = null, hybridBytes = null;
        if (why is null)
        {
            // 3. Accuracy-constrained allocation, measured on quick (unchecked) partial models.
            var names = layers.Select(l => l.Name).ToList();
            int evals = 0;
            constrained = BitAllocation.Constrain(names, ans.Bits, o.KInit, inputs.Count, o.Tolerance, bits =>
            {
                using var c = OnnxClassifier.FromBytes(HybridPrecision.Partial(model, bits).ToBytes(), $"{model.Name} (candidate)", merged);
                Report("constraining bits", ++evals, evals);
                return Compare(floatRows, floatPred, c.PredictScores(clean));
            });

            // 4. The hybrids and uniform models, each checked in ONNX Runtime and measured.
            var pureMean = HybridPrecision.WeightedMeanBits(layers, ans.Bits);
            var consMean = HybridPrecision.WeightedMeanBits(layers, constrained.Bits);
            int kPure = RoundBits(pureMean), kCons = RoundBits(consMean);
            var plan = new List<(PrecisionKind Kind, string Label, IReadOnlyDictionary<string, int> Bits, int? Uniform)>
            {
                (PrecisionKind.AnsHybrid, "hybrid, ANS rule", ans.Bits, null),
                (PrecisionKind.ConstrainedHybrid, "hybrid, constrained", constrained.Bits, null),
                (PrecisionKind.Uniform8, "uniform 8-bit", Uniform(layers, 8), 8),
                (PrecisionKind.UniformAnsMean, $"uniform {kPure}-bit (k̄ of ANS rule)", Uniform(layers, kPure), kPure),
                (PrecisionKind.UniformConstrainedMean, $"uniform {kCons}-bit (k̄ of constrained)", Uniform(layers, kCons), kCons),
            };
            // Models with the same bits are built, attacked and measured once.
            var done = new Dictionary<string, PrecisionVariant>(StringComparer.Ordinal);
            for (int i = 0; i < plan.Count; i++)
            {
                var (kind, label, bits, uniform) = plan[i];
                var key = string.Join(",", names.Select(n => bits[n]));
                if (done.TryGetValue(key, out var same))
                {
                    variants.Add(same with { Kind = kind, Label = label, UniformBits = uniform });
                    continue;
                }
                var m = HybridPrecision.Build(model, bits);
                using var c = OnnxClassifier.FromBytes(m.ToBytes(), $"{model.Name} ({label})", merged);
                var robust = o.Compare ? analyzer.Analyze(c, inputs, d => Report($"attacking {label}", d, inputs.Count)) : null;
                var v = Measure(kind, label, m, c, bits, uniform, robust, uniform8Size);
                done[key] = v;
                variants.Add(v);
                Report("measuring models", i + 1, plan.Count);
            }
            claims.Add(Claim(variants, PrecisionKind.AnsHybrid, PrecisionKind.UniformAnsMean, kPure, o.Tolerance));
            claims.Add(Claim(variants, PrecisionKind.ConstrainedHybrid, PrecisionKind.UniformConstrainedMean, kCons, o.Tolerance));
            hybridBytes = variants.First(v => v.Kind == PrecisionKind.AnsHybrid).Model.ToBytes().LongLength;
            try { int8Bytes = Compressor.Compress(model, new Int8WeightOnly()).Model.ToBytes().LongLength; }
            catch (DflareException) { int8Bytes = null; }
        }

        return new QuanosReport
        {
            Model = modelPath, Options = o, Estimator = estimator.Name, EstimatorDescription = estimator.Description,
            QueriesPerGradient = estimator.ProbesPerImage(clf.Info.ImageLength), Seeds = inputs.Count, Labelled = labels.Count(l => l is not null),
            Ans = ans, Constrained = constrained, HybridUnavailable = why, Variants = variants, Claims = claims,
            FloatFileBytes = new FileInfo(modelPath).Length, Int8FileBytes = int8Bytes, HybridFileBytes = hybridBytes,
            Seconds = sw.Elapsed.TotalSeconds,
        };
    }

    /// <summary>round(k̄) half away from zero, clamped to 2..16.</summary>
    internal static int RoundBits(double mean) => Math.Clamp((int)Math.Round(mean, MidpointRounding.AwayFromZero), BitAllocation.MinBits, 16);

    private static Dictionary<string, int> Uniform(IReadOnlyList<WeightedLayer> layers, int k) =>
        layers.ToDictionary(l => l.Name, _ => k, StringComparer.Ordinal);

    /// <summary>Disagreements with the float model's top-1 classes and mean relative L2 error of the output rows.</summary>
    internal static Fidelity Compare(float[][] floatRows, int[] floatPred, float[][] rows)
    {
        int dis = 0;
        double err = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            if (Labels.ArgMax(rows[i]) != floatPred[i]) dis++;
            err += AnsAnalyzer.Ratio(floatRows[i], rows[i]) ?? 0;
        }
        return new Fidelity(dis, rows.Length == 0 ? 0 : err / rows.Length);
    }

    private static QuanosClaim Claim(List<PrecisionVariant> variants, PrecisionKind hybrid, PrecisionKind uniform, int k, double tolerance)
    {
        var h = variants.First(v => v.Kind == hybrid);
        var u = variants.First(v => v.Kind == uniform);
        double? adv = h.AdversarialAccuracy - u.AdversarialAccuracy;
        double? cleanDelta = h.CleanAccuracy - u.CleanAccuracy;
        int? b = null, c = null;
        double? p = null;
        if (h.Robustness is { } hr && u.Robustness is { } ur)
        {
            var pairs = hr.Seeds.Zip(ur.Seeds).Where(s => s.First.Label is not null).ToList();
            b = pairs.Count(s => s.First.AdversarialCorrect == true && s.Second.AdversarialCorrect != true);
            c = pairs.Count(s => s.First.AdversarialCorrect != true && s.Second.AdversarialCorrect == true);
            p = QuanosClaim.McNemar(b.Value, c.Value);
        }
        bool? held = adv is { } a && cleanDelta is { } cd && p is { } pv ? a > 0 && pv < QuanosClaim.Alpha && cd >= -tolerance - 1e-12 : null;
        return new QuanosClaim
        {
            Hybrid = hybrid, Uniform = uniform, UniformBits = k, AdversarialAccuracyDelta = adv, CleanAccuracyDelta = cleanDelta,
            HybridOnlyCorrect = b, UniformOnlyCorrect = c, PValue = p, SizeRatio = h.Size.Bytes / u.Size.Bytes, Held = held,
        };
    }
}
