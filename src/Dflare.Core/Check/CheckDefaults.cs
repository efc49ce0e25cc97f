namespace Dflare.Check;

/// <summary>
/// The gate's defaults, in one place: the attribute, the MSBuild item and properties and <c>dflare check</c> all take
/// them from here.
/// </summary>
public static class CheckDefaults
{
    /// <summary>
    /// The search strategy of the gate. The one line to change when a stronger confident search becomes the default.
    /// </summary>
    public const string Strategy = "square";

    /// <summary>
    /// A deviation counts only when both models' top-1 probability beats their second class by at least this much
    /// (a confident deviation, not a near-tie at the decision boundary).
    /// </summary>
    public const double MinMargin = 0.1;

    /// <summary>
    /// A deviation counts only within this many grey levels of its seed (a recognisable image, not noise). 16 rather
    /// than 32: with the square search a deviation found within 16 is found again whatever the run seed (docs/gate.md,
    /// "Why seeds flip"), and on the real int8 pair more confident deviations are found within 16 than within 32.
    /// </summary>
    public const int MaxLInf = 16;

    /// <summary>
    /// Model queries per seed. 8,000: at L∞ ≤ 16 the search reaches what exists near each seed, so the per-seed verdicts
    /// stop changing with the run seed (1,000: up to 4 % of the seeds flip; 8,000: ≤ 1 %). Seeds with a deviation use a
    /// few hundred; seeds without one spend it all.
    /// </summary>
    public const int Budget = 8000;

    /// <summary>Findings listed one by one in a test message (the rest are counted).</summary>
    public const int MaxListed = 10;
}
