using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Quanos.Gradients;

namespace Dflare.Quanos.Adversarial;

/// <summary>
/// FGSM from query-only gradient estimates: <c>x_adv = clip(x + ε·sign(ĝ))</c> with ε in [0,1] pixel units applied
/// to the 0..255 pixels before the model's normalisation, and its iterative variant (several steps of size α, each
/// projected back onto the ε ball and [0, 255]). Works on batches of seeds; the model is only queried.
/// </summary>
/// <example>
/// Adversarial images for a batch of seeds (e.g. for per-layer sensitivity):
/// <code>
/// var fgsm = new Fgsm(new FiniteDifferenceGradient());
/// var adv = fgsm.Attack(model, seeds, new FgsmOptions { Epsilon = 8 / 255.0 });
/// float[] xAdv = adv[0].Adversarial; // 0..255, H×W×C, feed with model.PredictScores
/// </code>
/// </example>
public sealed class Fgsm
{
    /// <summary>Creates the attack over a gradient estimator.</summary>
    public Fgsm(IGradientEstimator estimator) => Estimator = estimator ?? throw new ArgumentNullException(nameof(estimator));

    /// <summary>The gradient estimator.</summary>
    public IGradientEstimator Estimator { get; }

    /// <summary>Attacks seeds (brought to the model's geometry first).</summary>
    /// <param name="model">The model attacked (its own gradient is estimated).</param>
    /// <param name="seeds">The seeds.</param>
    /// <param name="options">Budget, steps, loss.</param>
    /// <param name="progress">Called with the number of seeds finished so far.</param>
    /// <returns>One adversarial example per seed, in order.</returns>
    /// <exception cref="DflareException">Bad options, a seed that does not fit the model, or a missing label with <see cref="AttackLoss.Label"/>.</exception>
    public IReadOnlyList<AdversarialExample> Attack(OnnxClassifier model, IReadOnlyList<Seed> seeds, FgsmOptions options, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Attack(model, AttackInput.From(model, seeds), options, progress);
    }

    /// <summary>Attacks images given as float pixels at model geometry.</summary>
    /// <inheritdoc cref="Attack(OnnxClassifier, IReadOnlyList{Seed}, FgsmOptions, Action{int})"/>
    public IReadOnlyList<AdversarialExample> Attack(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, FgsmOptions options, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int chunk = Math.Max(1, Probing.ImagesPerCall / Estimator.ProbesPerImage(model.Info.ImageLength));
        var result = new List<AdversarialExample>(inputs.Count);
        for (int start = 0; start < inputs.Count; start += chunk)
        {
            var part = inputs.Skip(start).Take(chunk).ToList();
            var clean = Clean(model, part, options.Loss);
            result.AddRange(Run(model, part, clean, options, first: null));
            progress?.Invoke(result.Count);
        }
        return result;
    }

    /// <summary>The clean evaluation of a batch: raw rows, top-1 classes and loss targets.</summary>
    internal static CleanBatch Clean(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, AttackLoss loss)
    {
        foreach (var x in inputs)
        {
            ArgumentNullException.ThrowIfNull(x);
            if (x.Pixels.Length != model.Info.ImageLength)
                throw new DflareException($"Image '{x.Id}' has {x.Pixels.Length} values but model '{model.Path}' takes {model.Info.Width}x{model.Info.Height}x{model.Info.Channels} = {model.Info.ImageLength}.");
            if (loss == AttackLoss.Label && x.Label is null)
                throw new DflareException($"Seed '{x.Id}' has no label; the label loss needs labelled seeds (use the prediction loss for unlabelled ones).");
            if (x.Label is { } l && (uint)l >= (uint)model.Classes)
                throw new DflareException($"Seed '{x.Id}' has label {l}, which is not a class of model '{model.Path}' (0..{model.Classes - 1}).");
        }
        var rows = model.PredictScores(inputs.Select(x => x.Pixels).ToList());
        var preds = rows.Select(r => Labels.ArgMax(r)).ToArray();
        var targets = inputs.Select((x, i) => loss == AttackLoss.Label ? x.Label!.Value : preds[i]).ToArray();
        var losses = rows.Select((r, i) => AdversarialLoss.CrossEntropy(r, targets[i], model.Info.OutputKind)).ToArray();
        return new CleanBatch(rows, preds, targets, losses);
    }

    internal sealed record CleanBatch(float[][] Rows, int[] Predictions, int[] Targets, double[] Losses);

    /// <summary>
    /// Runs the attack on a batch whose clean evaluation is known; <paramref name="first"/> are gradient estimates at
    /// the clean images when already computed (iteration 0).
    /// </summary>
    internal List<AdversarialExample> Run(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, CleanBatch clean,
        FgsmOptions options, IReadOnlyList<GradientEstimate>? first)
    {
        int n = inputs.Count;
        var kind = model.Info.OutputKind;
        var x = inputs.Select(i => i.Pixels).ToArray();
        var rows = (float[][])clean.Rows.Clone();
        var queries = Enumerable.Repeat(1L, n).ToArray();
        var steps = new int[n];
        var active = Enumerable.Range(0, n).ToList();
        double alpha = options.EffectiveStepSize;
        for (int t = 0; t < options.Steps && active.Count > 0; t++)
        {
            IReadOnlyList<GradientEstimate> est = t == 0 && first is not null
                ? first
                : Estimator.Estimate(model, active.Select(i => new GradientQuery(inputs[i].Id, x[i], clean.Targets[i], t)).ToList());
            var next = new float[active.Count][];
            for (int k = 0; k < active.Count; k++)
            {
                int i = active[k];
                queries[i] += est[k].Queries;
                next[k] = Step(x[i], est[k].Gradient, alpha, inputs[i].Pixels, options.Epsilon);
            }
            var nextRows = model.PredictScores(next);
            var still = new List<int>();
            for (int k = 0; k < active.Count; k++)
            {
                int i = active[k];
                x[i] = next[k]; rows[i] = nextRows[k]; queries[i]++; steps[i]++;
                if (!(options.StopWhenFlipped && Labels.ArgMax(nextRows[k]) != clean.Targets[i])) still.Add(i);
            }
            active = still;
        }
        var info = model.Info;
        return Enumerable.Range(0, n).Select(i => new AdversarialExample
        {
            Id = inputs[i].Id, Label = inputs[i].Label, Target = clean.Targets[i],
            Width = info.Width, Height = info.Height, Channels = info.Channels,
            Clean = inputs[i].Pixels, Adversarial = x[i],
            CleanPrediction = clean.Predictions[i], AdversarialPrediction = Labels.ArgMax(rows[i]),
            CleanLoss = clean.Losses[i], AdversarialLoss = AdversarialLoss.CrossEntropy(rows[i], clean.Targets[i], kind),
            Epsilon = options.Epsilon, Steps = steps[i], Queries = queries[i],
        }).ToList();
    }

    /// <summary>
    /// One signed step: <c>clip_[0,255](Π(x + 255·α·sign(g)))</c>, where Π clips to <c>[x₀ − 255ε, x₀ + 255ε]</c>.
    /// Values whose gradient is exactly 0 do not move. Single-step FGSM is <c>Step(x, g, ε, x, ε)</c>.
    /// </summary>
    /// <param name="x">The current image (0..255 floats).</param>
    /// <param name="gradient">The gradient estimate at <paramref name="x"/>.</param>
    /// <param name="stepSize">α in [0,1] pixel units.</param>
    /// <param name="origin">The clean image x₀ the ε ball is centred on.</param>
    /// <param name="epsilon">ε in [0,1] pixel units.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static float[] Step(ReadOnlySpan<float> x, ReadOnlySpan<double> gradient, double stepSize, ReadOnlySpan<float> origin, double epsilon)
    {
        if (x.Length != gradient.Length || x.Length != origin.Length)
            throw new ArgumentException($"Image ({x.Length}), gradient ({gradient.Length}) and origin ({origin.Length}) differ in length.");
        double a = 255.0 * stepSize, e = 255.0 * epsilon;
        var r = new float[x.Length];
        for (int i = 0; i < r.Length; i++)
        {
            double v = x[i] + a * Math.Sign(gradient[i]);
            v = Math.Clamp(v, origin[i] - e, origin[i] + e);
            r[i] = (float)Math.Clamp(v, 0.0, 255.0);
        }
        return r;
    }

    /// <summary>Single-step FGSM: <c>clip_[0,255](x + 255·ε·sign(g))</c>.</summary>
    public static float[] Perturb(ReadOnlySpan<float> x, ReadOnlySpan<double> gradient, double epsilon) => Step(x, gradient, epsilon, x, epsilon);

    /// <summary>Rounds float pixels (0..255) to the nearest grey level as an 8-bit image.</summary>
    /// <exception cref="ArgumentException">The buffer does not match the geometry.</exception>
    public static Image ToImage(ReadOnlySpan<float> pixels, int width, int height, int channels)
    {
        var b = new byte[pixels.Length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)Math.Clamp(Math.Round(pixels[i], MidpointRounding.AwayFromZero), 0, 255);
        return new Image(width, height, channels, b);
    }
}
