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

/// <summary>Which model's decision boundary the <see cref="SquareObjective.Boundary"/> objective walks toward.</summary>
public enum SquareToward
{
    /// <summary>
    /// The original model's (the default): its margin loss is lowered, each crossing of its boundary is bisected on it,
    /// and the compressed model is asked at the two ends.
    /// </summary>
    Original,
    /// <summary>
    /// The compressed model's: its margin loss (for its own label on the seed) is lowered, each crossing of its boundary
    /// is bisected on it, and the original is asked at the two ends. Finds deviations where the compressed model's
    /// boundary lies nearer the seed than the original's in the directions the walk takes (pruned and 4-bit models).
    /// </summary>
    Compressed,
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

    /// <summary>
    /// Whose decision boundary the boundary objective walks toward (default <see cref="SquareToward.Original"/>). A
    /// deviation is judged the same way either way (<see cref="Deviation.Judge"/> of the original's and the compressed
    /// model's outputs, with the minimum margin and the seed's label). The confident objective has a direction of its
    /// own (the original keeps the seed's label, the compressed model leaves it) and takes only the default.
    /// </summary>
    public SquareToward Toward { get; init; } = SquareToward.Original;

    /// <summary>The objective actually used with a minimum margin of <paramref name="minMargin"/>.</summary>
    public SquareObjective Resolve(double minMargin) =>
        Objective != SquareObjective.Auto ? Objective : minMargin > 0 ? SquareObjective.Confident : SquareObjective.Boundary;

    /// <summary>Checks the values.</summary>
    /// <exception cref="DflareException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(PInit > 0 && PInit <= 1)) throw new SettingException($"Square.PInit must be in (0, 1] (got {PInit}).", "Square.PInit");
        if (!Enum.IsDefined(Objective)) throw new SettingException($"Square.Objective {Objective} is not an objective.", "Square.Objective");
        if (!Enum.IsDefined(Toward)) throw new SettingException($"Square.Toward {Toward} is not a model of the pair.", "Square.Toward");
    }

    /// <summary>Checks that <see cref="Toward"/> fits the objective used with a minimum margin of <paramref name="minMargin"/>.</summary>
    /// <exception cref="SettingException">The compressed model's boundary is asked for with the confident objective.</exception>
    public void ValidateFor(double minMargin)
    {
        if (Toward != SquareToward.Original && Resolve(minMargin) == SquareObjective.Confident)
            throw new SettingException(
                "Square.Toward must be original with the confident objective (Square.Objective, or MinMargin > 0 with the auto objective): " +
                "a confident deviation is the original keeping the seed's label while the compressed model leaves it. Use the boundary objective " +
                "to walk toward the compressed model's boundary (with MinMargin, deviations are still judged by it).",
                "Square.Toward", "Square.Objective", "MinMargin");
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

    /// <summary>Parses a direction (<c>original</c>, <c>compressed</c>; any case).</summary>
    /// <exception cref="DflareException">The name is not a model of the pair.</exception>
    public static SquareToward ParseToward(string text) => text.Trim().ToLowerInvariant() switch
    {
        "original" => SquareToward.Original,
        "compressed" => SquareToward.Compressed,
        _ => throw new DflareException($"Unknown model '{text}' to walk toward; use original or compressed."),
    };

    /// <summary>The command-line name of a direction.</summary>
    public static string Name(SquareToward toward) => toward.ToString().ToLowerInvariant();

    /// <summary>The command-line name of an objective.</summary>
    public static string Name(SquareObjective objective) => objective.ToString().ToLowerInvariant();
}
