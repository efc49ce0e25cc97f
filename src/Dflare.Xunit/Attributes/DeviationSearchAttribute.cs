using System.Runtime.CompilerServices;
using Dflare.Check;
using Dflare.Xunit.Execution;
using Xunit.v3;

namespace Dflare.Xunit;

/// <summary>How a <see cref="DeviationSearchAttribute"/> splits its work into test cases.</summary>
public enum CaseGranularity
{
    /// <summary>One case per seed when there are at most 50 seeds, otherwise one case for the pair.</summary>
    Auto,
    /// <summary>One test case per seed (each listed, filterable and reported on its own).</summary>
    PerSeed,
    /// <summary>One test case for the whole pair (all seeds searched in lock-step).</summary>
    PerPair,
}

/// <summary>
/// Turns an (original, compressed) model pair into a test case (one per pair by default) that runs the deviation check
/// (<see cref="DeviationCheck"/>): accepted triggering inputs in <c>Snapshots/</c> next to the test source file are
/// replayed first, the other seeds are searched for a meaningful deviation (both margins ≥ <see cref="MinMargin"/>,
/// within <see cref="MaxLInf"/>), and the case fails on a new or changed deviation (or above <see cref="MaxDeviationRate"/>).
/// </summary>
/// <remarks>
/// Paths are relative to the test project's output folder (copy the models there) or, failing that, to the
/// folder of the test source file. The test method may have no parameters, or one <see cref="DeviationOutcome"/>
/// parameter to add its own assertions.
/// </remarks>
[XunitTestCaseDiscoverer(typeof(DeviationSearchDiscoverer))]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DeviationSearchAttribute : DflareFactAttribute
{
    /// <summary>Declares the pair and the query budget per seed.</summary>
    /// <param name="original">The original model (.onnx).</param>
    /// <param name="compressed">The compressed model (.onnx).</param>
    /// <param name="budget">Model queries per seed (both models counted; one iteration costs 2).</param>
    /// <param name="sourceFilePath">Filled in by the compiler.</param>
    /// <param name="sourceLineNumber">Filled in by the compiler.</param>
    public DeviationSearchAttribute(string original, string compressed, int budget,
        [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        Original = original;
        Compressed = compressed;
        Budget = budget;
    }

    /// <summary>Declares the pair with the gate's default query budget per seed (<see cref="CheckDefaults.Budget"/>).</summary>
    /// <param name="original">The original model (.onnx).</param>
    /// <param name="compressed">The compressed model (.onnx).</param>
    /// <param name="sourceFilePath">Filled in by the compiler.</param>
    /// <param name="sourceLineNumber">Filled in by the compiler.</param>
    public DeviationSearchAttribute(string original, string compressed,
        [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : this(original, compressed, CheckDefaults.Budget, sourceFilePath, sourceLineNumber)
    {
    }

    /// <summary>The original model path.</summary>
    public string Original { get; }
    /// <summary>The compressed model path.</summary>
    public string Compressed { get; }
    /// <summary>Model queries per seed (at least <see cref="Dflare.Search.QueryBudget.Minimum"/>; default <see cref="CheckDefaults.Budget"/>).</summary>
    public int Budget { get; }

    /// <summary>Seed images: a folder (labels.csv optional), an IDX file or a CIFAR-10 .bin file. Required.</summary>
    public string? Seeds { get; set; }
    /// <summary>Use at most this many seeds (0 = all).</summary>
    public int Limit { get; set; }
    /// <summary>Skip this many seeds first.</summary>
    public int Offset { get; set; }
    /// <summary>Use this many seeds sampled across the classes (0 = no sampling; not with Limit/Offset). The sample is the same for every run seed, so verdicts of runs with other run seeds compare.</summary>
    public int Sample { get; set; }
    /// <summary>The run seed: with the same models and settings the same triggering inputs are found.</summary>
    public long RunSeed { get; set; }
    /// <summary>The search strategy: dflare, diffchaser, random-ops, gap-only, square or dflare-reference (the DFlare authors' shipped behaviour) (default: the gate's, <see cref="CheckDefaults.Strategy"/>).</summary>
    public string Strategy { get; set; } = CheckDefaults.Strategy;
    /// <summary>One case per pair (default) or one per seed.</summary>
    public CaseGranularity Granularity { get; set; } = CaseGranularity.PerPair;
    /// <summary>New deviations tolerated before the case fails (default 0; ignored with <see cref="MaxDeviationRate"/>).</summary>
    public int AllowedDeviations { get; set; }
    /// <summary>A deviation counts only when both models' top-1 margin is at least this (default 0.1; 0 = any label change).</summary>
    public double MinMargin { get; set; } = CheckDefaults.MinMargin;
    /// <summary>Fail only when the deviation rate (deviating / checked seeds) is above this (0–1); negative (default) = off, new deviations fail instead.</summary>
    public double MaxDeviationRate { get; set; } = -1;
    /// <summary>Fixed deviations (accepted inputs that no longer deviate) fail too, for re-review.</summary>
    public bool FailOnFixed { get; set; }
    /// <summary>Keep mutants with at least this SSIM to the seed (0 = none).</summary>
    public double MinSsim { get; set; }
    /// <summary>Wall-time limit per seed in seconds (0 = none). Time limits make results depend on machine speed.</summary>
    public double TimeLimitSeconds { get; set; }
    /// <summary>Keep mutants within this many pixel levels of the seed (default 32; 0 = unbounded).</summary>
    public int MaxLInf { get; set; } = CheckDefaults.MaxLInf;

}
