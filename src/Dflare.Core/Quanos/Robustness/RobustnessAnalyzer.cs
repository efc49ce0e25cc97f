using System.Diagnostics;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;

namespace Dflare.Quanos.Robustness;

/// <summary>
/// Measures how robust a model is to query-only FGSM: per seed the smallest ε (on a grid, optionally refined) that
/// changes its top-1 class along the FGSM direction <c>sign(ĝ(x))</c>, and the adversarial accuracy and flip rate at a
/// given ε; for a model pair, the compressed model's figures against the original's on the same seeds.
/// </summary>
/// <remarks>
/// <para>The gradient is estimated once per seed at the clean image; the whole scan (every grid ε plus ε itself) is
/// one batch of FGSM images along that direction. Flips are not monotone in ε on real models, so the scan reports
/// the first flipping grid point; refinement scans evenly between it and the grid point before it, which can only
/// lower the figure within that interval (an earlier flip between two non-flipping grid points stays unseen).</para>
/// <para>With <see cref="RobustnessOptions.Steps"/> &gt; 1 the adversarial prediction at ε comes from the iterative
/// attack (starting from the same first gradient); the scan stays single-step.</para>
/// <para>All figures are for float adversarial images (not rounded to 8 bits).</para>
/// </remarks>
public sealed class RobustnessAnalyzer : IRobustnessAttack
{
    private readonly Fgsm _fgsm;

    /// <summary>Creates the analyzer.</summary>
    /// <param name="estimator">The gradient estimator of the attack.</param>
    /// <param name="options">The settings.</param>
    /// <param name="reference">
    /// An optional reference estimator (typically <see cref="FiniteDifferenceGradient"/>): it is also run at every clean
    /// seed and the attack estimator's cosine similarity to it is reported. Its queries are not counted in the report.
    /// </param>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public RobustnessAnalyzer(IGradientEstimator estimator, RobustnessOptions options, IGradientEstimator? reference = null)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _fgsm = new Fgsm(estimator);
        Options = options;
        Reference = reference;
    }

    /// <summary>The gradient estimator of the attack.</summary>
    public IGradientEstimator Estimator => _fgsm.Estimator;
    /// <summary>The reference estimator for the cosine check, if any.</summary>
    public IGradientEstimator? Reference { get; }
    /// <summary>The settings.</summary>
    public RobustnessOptions Options { get; }

    /// <inheritdoc />
    public string Name => $"{Estimator.Name}-fgsm";

    /// <inheritdoc />
    public string Description => $"{(Options.Steps == 1 ? "FGSM" : $"iterative FGSM ({Options.Steps} steps)")}, gradient: {Estimator.Description}";

    /// <inheritdoc />
    public double Epsilon => Options.Epsilon;

    /// <summary>Measures one model on the seeds.</summary>
    /// <param name="model">The model.</param>
    /// <param name="seeds">The seeds (brought to the model's geometry; a seed that does not fit is an error).</param>
    /// <param name="progress">Called with the number of seeds finished so far.</param>
    /// <exception cref="DflareException">A seed does not fit the model, or lacks a label for the label loss.</exception>
    public RobustnessReport Analyze(OnnxClassifier model, IReadOnlyList<Seed> seeds, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(seeds);
        return Analyze(model, AttackInput.From(model, seeds), progress);
    }

    /// <summary>Measures one model on images given as float pixels at model geometry.</summary>
    /// <inheritdoc cref="Analyze(OnnxClassifier, IReadOnlyList{Seed}, Action{int})"/>
    public RobustnessReport Analyze(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        var sw = Stopwatch.StartNew();
        int chunk = Math.Max(1, Probing.ImagesPerCall / Estimator.ProbesPerImage(model.Info.ImageLength));
        var results = new List<SeedRobustness>(inputs.Count);
        for (int start = 0; start < inputs.Count; start += chunk)
        {
            results.AddRange(AnalyzeChunk(model, inputs.Skip(start).Take(chunk).ToList()));
            progress?.Invoke(results.Count);
        }
        return new RobustnessReport
        {
            Model = model.Path, Attack = Name, Estimator = Estimator.Description, Options = Options, Seeds = results, Seconds = sw.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Measures a model pair on the same seeds: the original first, then the compressed model.</summary>
    /// <param name="original">The original model.</param>
    /// <param name="compressed">The compressed model.</param>
    /// <param name="seeds">The seeds.</param>
    /// <param name="progress">Called with the number of (model, seed) measurements finished so far, out of 2 × seeds.</param>
    /// <exception cref="DflareException">The two models do not take the same images or classes, or a seed does not fit.</exception>
    public RobustnessComparison Compare(OnnxClassifier original, OnnxClassifier compressed, IReadOnlyList<Seed> seeds, Action<int>? progress = null)
    {
        ModelPair.EnsureMatch(original, compressed);
        var a = Analyze(original, seeds, progress);
        var b = Analyze(compressed, seeds, progress is null ? null : d => progress(seeds.Count + d));
        var transfer = a.Count == 0 ? [] : compressed.PredictScores(a.Seeds.Select(s => s.Adversarial).ToList()).Select(r => Labels.ArgMax(r)).ToArray();
        return new RobustnessComparison(a, b, transfer);
    }

    private List<SeedRobustness> AnalyzeChunk(OnnxClassifier model, IReadOnlyList<AttackInput> inputs)
    {
        var o = Options;
        int n = inputs.Count;
        var kind = model.Info.OutputKind;
        var clean = Fgsm.Clean(model, inputs, o.Loss);
        var est = Estimator.Estimate(model, inputs.Select((x, i) => new GradientQuery(x.Id, x.Pixels, clean.Targets[i])).ToList());
        var reference = Reference?.Estimate(model, inputs.Select((x, i) => new GradientQuery(x.Id, x.Pixels, clean.Targets[i])).ToList());

        // One batch: every grid ε, then ε itself when the attack is single-step.
        var grid = o.ScanGrid;
        bool single = o.Steps == 1;
        int per = grid.Count + (single ? 1 : 0);
        var scan = new List<float[]>(n * per);
        for (int i = 0; i < n; i++)
        {
            foreach (var e in grid) scan.Add(Fgsm.Perturb(inputs[i].Pixels, est[i].Gradient, e));
            if (single) scan.Add(Fgsm.Step(inputs[i].Pixels, est[i].Gradient, o.Attack.EffectiveStepSize, inputs[i].Pixels, o.Epsilon));
        }
        var rows = model.PredictScores(scan);
        var queries = new long[n];
        var gridFlip = new int[n];
        for (int i = 0; i < n; i++)
        {
            queries[i] = 1 + est[i].Queries + per;
            gridFlip[i] = -1;
            for (int k = 0; k < grid.Count; k++)
                if (Labels.ArgMax(rows[i * per + k]) != clean.Predictions[i]) { gridFlip[i] = k; break; }
        }

        // Refinement: evenly between the last non-flipping grid point (or 0) and the first flipping one.
        var refined = new double?[n];
        if (o.Refine > 0)
        {
            var todo = Enumerable.Range(0, n).Where(i => gridFlip[i] >= 0).ToList();
            var probes = new List<float[]>(todo.Count * o.Refine);
            foreach (var i in todo)
            {
                double lo = gridFlip[i] == 0 ? 0 : grid[gridFlip[i] - 1], hi = grid[gridFlip[i]];
                for (int j = 1; j <= o.Refine; j++) probes.Add(Fgsm.Perturb(inputs[i].Pixels, est[i].Gradient, lo + (hi - lo) * j / (o.Refine + 1)));
            }
            var rr = probes.Count > 0 ? model.PredictScores(probes) : [];
            for (int t = 0; t < todo.Count; t++)
            {
                int i = todo[t];
                double lo = gridFlip[i] == 0 ? 0 : grid[gridFlip[i] - 1], hi = grid[gridFlip[i]];
                refined[i] = hi;
                queries[i] += o.Refine;
                for (int j = 1; j <= o.Refine; j++)
                    if (Labels.ArgMax(rr[t * o.Refine + j - 1]) != clean.Predictions[i]) { refined[i] = lo + (hi - lo) * j / (o.Refine + 1); break; }
            }
        }

        // The adversarial prediction at ε.
        int[] advPred = new int[n];
        double[] advLoss = new double[n];
        var advX = new float[n][];
        if (single)
        {
            for (int i = 0; i < n; i++)
            {
                advX[i] = scan[i * per + grid.Count];
                var row = rows[i * per + grid.Count];
                advPred[i] = Labels.ArgMax(row);
                advLoss[i] = AdversarialLoss.CrossEntropy(row, clean.Targets[i], kind);
            }
        }
        else
        {
            var adv = _fgsm.Run(model, inputs, clean, o.Attack, first: est);
            for (int i = 0; i < n; i++)
            {
                advX[i] = adv[i].Adversarial;
                advPred[i] = adv[i].AdversarialPrediction;
                advLoss[i] = adv[i].AdversarialLoss;
                queries[i] += adv[i].Queries - 1 - est[i].Queries; // the clean query and first estimate are already counted
            }
        }

        return Enumerable.Range(0, n).Select(i => new SeedRobustness
        {
            Id = inputs[i].Id, Label = inputs[i].Label,
            CleanPrediction = clean.Predictions[i], AdversarialPrediction = advPred[i],
            CleanLoss = clean.Losses[i], AdversarialLoss = advLoss[i],
            GridFlipEpsilon = gridFlip[i] >= 0 ? grid[gridFlip[i]] : null,
            FlipEpsilon = o.Refine > 0 ? refined[i] : (gridFlip[i] >= 0 ? grid[gridFlip[i]] : null),
            CosineToReference = reference is null ? null : GradientMath.Cosine(est[i].Gradient, reference[i].Gradient),
            SignAgreementToReference = reference is null ? null : GradientMath.SignAgreement(est[i].Gradient, reference[i].Gradient),
            ZeroGradientShare = est[i].Gradient.Length == 0 ? 0 : (double)est[i].Gradient.Count(g => g == 0) / est[i].Gradient.Length,
            Queries = queries[i], Adversarial = advX[i],
        }).ToList();
    }
}
