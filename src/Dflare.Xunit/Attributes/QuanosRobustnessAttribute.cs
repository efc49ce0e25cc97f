using System.Runtime.CompilerServices;
using Dflare.Xunit.Execution;
using Xunit.v3;

namespace Dflare.Xunit;

/// <summary>
/// A robustness check of one model (QUANOS): for every seed, the smallest ε (in [0,1] pixel units) at which an attack
/// flips the model's top-1 label — by default the gradient-free Square Attack, which quantized models cannot mask.
/// With <see cref="Original"/>, the original's adversarial images are also fed to the model (transfer). Per seed the
/// worst case over the attacks and the transfer counts. The case fails when the median flipping ε over the seeds is
/// below <see cref="MinEpsilon"/>, or — when <see cref="Original"/> and <see cref="Tolerance"/> are given — when it is
/// lower than the original's by more than the tolerance. Signs of gradient masking are named in the message.
/// </summary>
/// <remarks>The test method may have no parameters, or one <see cref="RobustnessOutcome"/> parameter.</remarks>
[XunitTestCaseDiscoverer(typeof(QuanosRobustnessDiscoverer))]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class QuanosRobustnessAttribute : DflareFactAttribute
{
    /// <summary>Declares the check.</summary>
    /// <param name="minEpsilon">Smallest acceptable median flipping ε, in [0,1] pixel units (8/255 ≈ 0.031 is eight grey levels).</param>
    /// <param name="sourceFilePath">Filled in by the compiler.</param>
    /// <param name="sourceLineNumber">Filled in by the compiler.</param>
    public QuanosRobustnessAttribute(double minEpsilon,
        [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        MinEpsilon = minEpsilon;
    }

    /// <summary>Smallest acceptable median flipping ε.</summary>
    public double MinEpsilon { get; }

    /// <summary>The model under test (.onnx). Required.</summary>
    public string? Model { get; set; }
    /// <summary>Its original, to compare robustness with (optional).</summary>
    public string? Original { get; set; }
    /// <summary>Largest acceptable drop of the median flipping ε against <see cref="Original"/> (negative = no comparison).</summary>
    public double Tolerance { get; set; } = -1;
    /// <summary>Seed images: a folder, an IDX file or a CIFAR-10 .bin file. Required.</summary>
    public string? Seeds { get; set; }
    /// <summary>Use at most this many seeds (default 20).</summary>
    public int Limit { get; set; } = 20;
    /// <summary>Skip this many seeds first.</summary>
    public int Offset { get; set; }
    /// <summary>ε at which adversarial accuracy is reported (0 = <see cref="MinEpsilon"/>).</summary>
    public double Epsilon { get; set; }
    /// <summary>
    /// Largest ε scanned for the flip. 0 (default): 4·<see cref="Epsilon"/> capped at 0.5, raised to 4·<see cref="MinEpsilon"/>
    /// when that is larger (the scan must reach past the floor), and never above 0.99.
    /// </summary>
    public double MaxEpsilon { get; set; }
    /// <summary>Grid points of the ε scan (default 20).</summary>
    public int Grid { get; set; } = 20;
    /// <summary>
    /// The attacks, comma-separated: <c>square</c> (default; gradient-free), <c>fgsm</c> (query-only FGSM with
    /// <see cref="Gradient"/>) or <c>all</c>. The per-layer sensitivity (ANS) uses FGSM's images when FGSM runs, else the
    /// Square Attack's.
    /// </summary>
    public string Attack { get; set; } = "square";
    /// <summary>Square Attack: query budget per seed and attack (each bisection step over ε is one attack; default 500).</summary>
    public int Queries { get; set; } = 500;
    /// <summary>Square Attack: share of the image the first squares cover (default 0.3).</summary>
    public double PInit { get; set; } = Dflare.Attacks.SquareAttackOptions.DefaultPInit;
    /// <summary>Square Attack: bisection steps of the search for each seed's smallest flipping ε (default 3).</summary>
    public int FlipSteps { get; set; } = Dflare.Quanos.Robustness.SquareRobustnessAnalyzer.DefaultFlipSteps;
    /// <summary>FGSM: fd (central finite differences, exact; default) or spsa (cheaper for large inputs).</summary>
    public string Gradient { get; set; } = "fd";
    /// <summary>
    /// Finite-difference step in grey levels (default 1). Quantized models round their input, so a 1-level step mostly
    /// sees rounding noise and the model looks more robust than it is (gradient masking); use e.g. 8 for int8 models.
    /// </summary>
    public double FiniteDifferenceStep { get; set; } = 1;
    /// <summary>SPSA samples per gradient.</summary>
    public int Samples { get; set; } = 64;
    /// <summary>Run seed of the random draws (SPSA directions, Square Attack squares).</summary>
    public long RunSeed { get; set; }
}
