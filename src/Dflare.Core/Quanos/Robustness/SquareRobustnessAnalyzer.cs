using System.Diagnostics;
using System.Globalization;
using Dflare.Attacks;
using Dflare.Models;
using Dflare.Quanos.Adversarial;

namespace Dflare.Quanos.Robustness;

/// <summary>
/// Robustness by the Square Attack, which needs no gradients (so quantized models cannot mask it): per seed the
/// adversarial image and prediction at ε, and the smallest flipping ε found by bisection over ε with one Square Attack
/// per step.
/// </summary>
/// <remarks>
/// <para>Search over ε: the attack at ε decides the seed's side. A seed that flips at ε is bisected in (0, ε]; one that
/// does not is attacked at the scan's end (<see cref="RobustnessOptions.ScanMax"/>) and, when it flips there, bisected in
/// (ε, ScanMax]. Each of the <see cref="FlipSteps"/> bisection steps runs a fresh attack (its own random stream) at the
/// midpoint for every seed still searching, all in lock-step; the reported flip ε is the smallest ε whose attack
/// flipped the seed. A random search can miss a flip that exists, so every figure is an upper bound on robustness.</para>
/// <para>Settings used from <see cref="RobustnessOptions"/>: <see cref="RobustnessOptions.Epsilon"/>,
/// <see cref="RobustnessOptions.MaxEpsilon"/> and <see cref="RobustnessOptions.Loss"/> (the grid, refinement and step
/// settings are FGSM's).</para>
/// </remarks>
public sealed class SquareRobustnessAnalyzer : IRobustnessAttack
{
    /// <summary>Default number of bisection steps of the search over ε.</summary>
    public const int DefaultFlipSteps = 3;

    private readonly SquareAttack _attack;

    /// <summary>Creates the analyzer.</summary>
    /// <param name="options">ε, the end of the ε search and the loss target.</param>
    /// <param name="attack">The Square Attack's settings (query budget per attack and seed, p_init, run seed).</param>
    /// <param name="flipSteps">Bisection steps of the search over ε (0: flip ε is only bracketed as ≤ ε, ≤ ScanMax or none).</param>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public SquareRobustnessAnalyzer(RobustnessOptions options, SquareAttackOptions attack, int flipSteps = DefaultFlipSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (flipSteps < 0) throw new DflareException($"The number of bisection steps over ε must not be negative; got {flipSteps}.");
        _attack = new SquareAttack(attack);
        Options = options;
        FlipSteps = flipSteps;
    }

    /// <summary>The settings.</summary>
    public RobustnessOptions Options { get; }
    /// <summary>The Square Attack's settings.</summary>
    public SquareAttackOptions Attack => _attack.Options;
    /// <summary>Bisection steps of the search over ε.</summary>
    public int FlipSteps { get; }

    /// <inheritdoc />
    public string Name => "square";

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"Square Attack ({Attack.QueriesPerSeed} queries per attack and seed, p_init {Attack.PInit:G3}, seed {Attack.Seed}; flip ε by {FlipSteps} bisection steps)");

    /// <inheritdoc />
    public double Epsilon => Options.Epsilon;

    /// <inheritdoc />
    public RobustnessReport Analyze(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        var sw = Stopwatch.StartNew();
        var o = Options;
        int n = inputs.Count;
        var kind = model.Info.OutputKind;
        var clean = Fgsm.Clean(model, inputs, o.Loss);
        var queries = Enumerable.Repeat(1L, n).ToArray();
        ulong stream = 0;
        List<SquareResult> Attack(IReadOnlyList<int> which, Func<int, double> eps)
        {
            var targets = which.Select(i => new SquareTarget(inputs[i].Id, inputs[i].Pixels, clean.Targets[i], eps(i), stream)).ToList();
            var r = _attack.Run(model, targets).ToList();
            for (int k = 0; k < which.Count; k++) queries[which[k]] += r[k].Queries;
            stream++;
            return r;
        }

        // At ε: the adversarial image and prediction.
        var all = Enumerable.Range(0, n).ToList();
        var atEps = Attack(all, _ => o.Epsilon);
        progress?.Invoke(n / 2);

        // Bracket: flipping at ε → (0, ε]; else try the scan's end → (ε, ScanMax]; else no flip found.
        var lo = new double[n];
        var hi = new double?[n];
        for (int i = 0; i < n; i++) if (atEps[i].Success) hi[i] = o.Epsilon;
        var upper = all.Where(i => hi[i] is null).ToList();
        if (o.ScanMax > o.Epsilon && upper.Count > 0)
        {
            var top = Attack(upper, _ => o.ScanMax);
            for (int k = 0; k < upper.Count; k++)
            {
                lo[upper[k]] = o.Epsilon;
                if (top[k].Success) hi[upper[k]] = o.ScanMax;
            }
        }
        for (int step = 0; step < FlipSteps; step++)
        {
            var open = all.Where(i => hi[i] is not null).ToList();
            if (open.Count == 0) break;
            var mid = open.ToDictionary(i => i, i => (lo[i] + hi[i]!.Value) / 2);
            var r = Attack(open, i => mid[i]);
            for (int k = 0; k < open.Count; k++)
            {
                int i = open[k];
                if (r[k].Success) hi[i] = mid[i]; else lo[i] = mid[i];
            }
        }
        progress?.Invoke(n);

        var seeds = Enumerable.Range(0, n).Select(i => new SeedRobustness
        {
            Id = inputs[i].Id, Label = inputs[i].Label,
            CleanPrediction = clean.Predictions[i], AdversarialPrediction = atEps[i].Prediction,
            CleanLoss = clean.Losses[i], AdversarialLoss = AdversarialLoss.CrossEntropy(atEps[i].Scores, clean.Targets[i], kind),
            GridFlipEpsilon = hi[i], FlipEpsilon = hi[i],
            Queries = queries[i], Adversarial = atEps[i].Adversarial,
        }).ToList();
        return new RobustnessReport
        {
            Model = model.Path, Attack = Name, Estimator = Description, Options = o, Seeds = seeds, Seconds = sw.Elapsed.TotalSeconds,
        };
    }
}
