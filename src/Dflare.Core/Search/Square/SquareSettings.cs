namespace Dflare.Search.Square;

/// <summary>What the <c>square</c> strategy drives the image toward.</summary>
public enum SquareObjective
{
    /// <summary><see cref="Confident"/> when <see cref="SearchSettings.MinMargin"/> &gt; 0, else <see cref="Boundary"/> (the default).</summary>
    Auto,
    /// <summary>
    /// Toward the original model's decision boundary, querying only the original (1 query an image); each crossing is
    /// bisected down to two images one grey level apart, and only those are sent to the compressed model.
    /// </summary>
    Boundary,
    /// <summary>
    /// Toward a <em>confident</em> deviation: both models are queried on every image and the loss
    /// max(m − margin_M(y), 0) + max(m − margin_C(j*), 0) falls to 0 exactly when both models' top-1 margins are ≥ m
    /// (m = <see cref="SearchSettings.MinMargin"/>) and their labels differ.
    /// </summary>
    Confident,
}

/// <summary>Parameters of the <c>square</c> strategy (score-based Square Attack, Andriushchenko et al. 2020).</summary>
public sealed record SquareSettings
{
    /// <summary>The objective (default <see cref="SquareObjective.Auto"/>).</summary>
    public SquareObjective Objective { get; init; } = SquareObjective.Auto;

    /// <summary>Initial fraction of the image's pixels a square covers (the paper's p_init); it shrinks on the paper's schedule. Default 0.3.</summary>
    public double PInit { get; init; } = 0.3;

    /// <summary>
    /// Start from the seed itself instead of the paper's ±ε vertical stripes: fewer changed values (higher SSIM) at the
    /// cost of more queries. Default false.
    /// </summary>
    public bool StartFromSeed { get; init; }

    /// <summary>The objective actually used with a minimum margin of <paramref name="minMargin"/>.</summary>
    public SquareObjective Resolve(double minMargin) =>
        Objective != SquareObjective.Auto ? Objective : minMargin > 0 ? SquareObjective.Confident : SquareObjective.Boundary;

    /// <summary>Checks the values.</summary>
    /// <exception cref="DflareException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(PInit > 0 && PInit <= 1)) throw new SettingException($"Square.PInit must be in (0, 1] (got {PInit}).", "Square.PInit");
        if (!Enum.IsDefined(Objective)) throw new SettingException($"Square.Objective {Objective} is not an objective.", "Square.Objective");
    }

    /// <summary>Parses an objective name (<c>auto</c>, <c>boundary</c>, <c>confident</c>; any case).</summary>
    /// <exception cref="DflareException">The name is not an objective.</exception>
    public static SquareObjective ParseObjective(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => SquareObjective.Auto,
        "boundary" => SquareObjective.Boundary,
        "confident" => SquareObjective.Confident,
        _ => throw new DflareException($"Unknown objective '{text}'; use one of: auto, boundary, confident."),
    };

    /// <summary>The command-line name of an objective.</summary>
    public static string Name(SquareObjective objective) => objective.ToString().ToLowerInvariant();
}
