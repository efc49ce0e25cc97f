using System.Globalization;
using System.Text.Json;
using Dflare.Attacks;
using Dflare.Models;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Robustness;

namespace Dflare.Xunit.Execution;

/// <summary>
/// What a <see cref="QuanosRobustnessAttribute"/> asks for, checked and resolved once at discovery and carried by its
/// case (serialised as JSON with it): the paths as written, and the check's settings with the files resolved.
/// </summary>
public sealed record RobustnessCasePlan
{
    /// <summary>The model as written in the attribute.</summary>
    public string? Model { get; init; }
    /// <summary>The original as written in the attribute.</summary>
    public string? Original { get; init; }
    /// <summary>The seed source as written in the attribute.</summary>
    public string? Seeds { get; init; }
    /// <summary>The checked settings; null when the configuration is wrong.</summary>
    public RobustnessCaseSettings? Check { get; init; }

    /// <summary>The paths as written, for a case whose configuration is wrong.</summary>
    public static RobustnessCasePlan Declared(QuanosRobustnessAttribute a) => new() { Model = a.Model, Original = a.Original, Seeds = a.Seeds };

    /// <summary>Checks the attribute's values and resolves its files.</summary>
    /// <exception cref="DflareException">A value is out of range or a file does not exist (<c>MissingInputException</c>).</exception>
    public static RobustnessCasePlan Create(QuanosRobustnessAttribute a)
    {
        var inv = CultureInfo.InvariantCulture;
        if (string.IsNullOrWhiteSpace(a.Model)) throw new DflareException("[QuanosRobustness] needs Model = \"model.onnx\".");
        if (string.IsNullOrWhiteSpace(a.Seeds)) throw new DflareException("[QuanosRobustness] needs Seeds = \"folder, IDX or CIFAR-10 file\".");
        if (!(a.MinEpsilon > 0 && a.MinEpsilon < 1)) throw new DflareException($"minEpsilon must be in (0, 1) in [0,1] pixel units; got {a.MinEpsilon.ToString(inv)}.");
        if (a.Limit <= 0 || a.Offset < 0) throw new DflareException($"Limit must be positive and Offset not negative (got {a.Limit}, {a.Offset}).");
        var attacks = RobustnessAttacks.Parse(a.Attack);
        var gradient = a.Gradient.Trim().ToLowerInvariant();
        if (attacks.Contains("square") && a.Queries < 1) throw new DflareException($"Queries must be positive (got {a.Queries}).");
        if (attacks.Contains("fgsm"))
        {
            if (gradient is not ("fd" or "spsa")) throw new DflareException($"Gradient '{a.Gradient}' is not one of fd, spsa.");
            if (gradient == "fd" && !(a.FiniteDifferenceStep > 0)) throw new DflareException($"FiniteDifferenceStep must be positive (got {a.FiniteDifferenceStep.ToString(inv)}).");
            if (gradient == "spsa" && a.Samples <= 0) throw new DflareException($"Samples must be positive (got {a.Samples}).");
        }
        double epsilon = a.Epsilon > 0 ? a.Epsilon : a.MinEpsilon;
        var settings = new RobustnessCaseSettings
        {
            Model = PathResolver.ForAttribute(a.Model, "model", a.SourceFile),
            Original = string.IsNullOrWhiteSpace(a.Original) ? null : PathResolver.ForAttribute(a.Original, "original model", a.SourceFile),
            Seeds = PathResolver.ForAttribute(a.Seeds, "seed source", a.SourceFile),
            ModelOptions = a.ToModelOptions(),
            Offset = a.Offset,
            Limit = a.Limit,
            MinEpsilon = a.MinEpsilon,
            Tolerance = a.Tolerance,
            Scan = new RobustnessOptions
            {
                Epsilon = epsilon,
                MaxEpsilon = a.MaxEpsilon > 0 ? a.MaxEpsilon : Math.Min(0.99, Math.Max(4 * a.MinEpsilon, Math.Min(4 * epsilon, 0.5))),
                Grid = a.Grid,
            },
            Attacks = attacks,
            Queries = a.Queries,
            PInit = a.PInit,
            FlipSteps = a.FlipSteps,
            Gradient = gradient,
            FiniteDifferenceStep = a.FiniteDifferenceStep,
            Samples = a.Samples,
            RunSeed = a.RunSeed,
        };
        settings.Scan.Validate();
        // A scan that stops below the floor could never find a flip under it, and the check would pass unseen.
        if (settings.Scan.ScanMax < a.MinEpsilon)
            throw new DflareException($"MaxEpsilon {settings.Scan.ScanMax.ToString(inv)} is below the required MinEpsilon {a.MinEpsilon.ToString(inv)}: the flip scan must reach the floor.");
        return Declared(a) with { Check = settings };
    }

    /// <summary>The plan as JSON (how the case carries it).</summary>
    public string ToJson() => CasePlanJson.Write(this);

    /// <summary>Reads a plan written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">Not a plan.</exception>
    public static RobustnessCasePlan FromJson(string? json) => CasePlanJson.Read<RobustnessCasePlan>(json);
}

/// <summary>The checked settings of a robustness case, with its files resolved.</summary>
public sealed record RobustnessCaseSettings
{
    /// <summary>The model under test (full path).</summary>
    public required string Model { get; init; }
    /// <summary>Its original (full path), or null.</summary>
    public string? Original { get; init; }
    /// <summary>The seed source (full path).</summary>
    public required string Seeds { get; init; }
    /// <summary>Preprocessing over the models' sidecars.</summary>
    public ModelOptions ModelOptions { get; init; } = new();
    /// <summary>Seeds skipped first.</summary>
    public int Offset { get; init; }
    /// <summary>Seeds used at most.</summary>
    public int Limit { get; init; }
    /// <summary>Smallest acceptable median flipping ε.</summary>
    public double MinEpsilon { get; init; }
    /// <summary>Largest acceptable drop against the original (negative: no comparison).</summary>
    public double Tolerance { get; init; }
    /// <summary>The ε of the adversarial accuracy and the flip scan.</summary>
    public required RobustnessOptions Scan { get; init; }
    /// <summary>The attacks: <c>square</c> and/or <c>fgsm</c>.</summary>
    public required IReadOnlyList<string> Attacks { get; init; }
    /// <summary>Square Attack: queries per seed and attack.</summary>
    public int Queries { get; init; }
    /// <summary>Square Attack: share of the image the first squares cover.</summary>
    public double PInit { get; init; }
    /// <summary>Square Attack: bisection steps of the flip search.</summary>
    public int FlipSteps { get; init; }
    /// <summary>FGSM: <c>fd</c> or <c>spsa</c>.</summary>
    public string Gradient { get; init; } = "fd";
    /// <summary>FGSM with <c>fd</c>: the step in grey levels.</summary>
    public double FiniteDifferenceStep { get; init; }
    /// <summary>FGSM with <c>spsa</c>: samples per gradient.</summary>
    public int Samples { get; init; }
    /// <summary>Run seed of the random draws.</summary>
    public long RunSeed { get; init; }

    /// <summary>The check these settings describe.</summary>
    public RobustnessCheck CreateCheck()
    {
        ulong seed = unchecked((ulong)RunSeed);
        IGradientEstimator? gradient = !Attacks.Contains("fgsm") ? null
            : Gradient == "spsa" ? new SpsaGradient(Samples, seed) : new FiniteDifferenceGradient(FiniteDifferenceStep);
        return new RobustnessCheck(RobustnessAttacks.Create(Attacks, Scan, new SquareAttackOptions { QueriesPerSeed = Queries, PInit = PInit, Seed = seed }, FlipSteps, gradient), seed);
    }
}
