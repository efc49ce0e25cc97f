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

    /// <summary>A deviation counts only within this many grey levels of its seed (a recognisable image, not noise).</summary>
    public const int MaxLInf = 32;

    /// <summary>Model queries per seed.</summary>
    public const int Budget = 1000;

    /// <summary>Findings listed one by one in a test message (the rest are counted).</summary>
    public const int MaxListed = 10;
}
