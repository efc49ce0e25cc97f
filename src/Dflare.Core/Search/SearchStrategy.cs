namespace Dflare.Search;

/// <summary>The search algorithm.</summary>
public enum SearchStrategy
{
    /// <summary>DFlare: accumulated mutations, operators chosen by Metropolis–Hastings over success ranks, fitness = gap growth or novelty.</summary>
    Dflare,
    /// <summary>The DiffChaser genetic algorithm (Xie et al., IJCAI 2019), the baseline.</summary>
    DiffChaser,
    /// <summary>DFlare ablation: operators chosen uniformly at random (no Metropolis–Hastings).</summary>
    RandomOps,
    /// <summary>DFlare ablation: a mutant is kept only when the gap grows (no novelty).</summary>
    GapOnly,
    /// <summary>
    /// Square Attack (Andriushchenko et al. 2020) inside the L∞ ball, seeking the original's decision boundary (or a
    /// confident deviation); the default whenever a bound is set. See <see cref="Square.SquareSearch"/>.
    /// </summary>
    Square,
    /// <summary>
    /// DFlare as the authors' shipped code behaves: either-direction gap acceptance, ranks from k1 = −1, uint8 noise
    /// arithmetic. See <see cref="DflareReference.DflareReferenceSearch"/>.
    /// </summary>
    DflareReference,
}

/// <summary>Names of strategies on the command line and in results.</summary>
public static class SearchStrategies
{
    /// <summary>All strategy names: <c>dflare</c>, <c>diffchaser</c>, <c>random-ops</c>, <c>gap-only</c>, <c>square</c>, <c>dflare-reference</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["dflare", "diffchaser", "random-ops", "gap-only", "square", "dflare-reference"];

    /// <summary>The command-line name of a strategy.</summary>
    public static string Name(this SearchStrategy s) => s switch
    {
        SearchStrategy.Dflare => "dflare",
        SearchStrategy.DiffChaser => "diffchaser",
        SearchStrategy.RandomOps => "random-ops",
        SearchStrategy.GapOnly => "gap-only",
        SearchStrategy.Square => "square",
        SearchStrategy.DflareReference => "dflare-reference",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    /// <summary>The strategy used when none is named: <see cref="SearchStrategy.Square"/> when an L∞ bound is set, else <see cref="SearchStrategy.Dflare"/>.</summary>
    public static SearchStrategy Default(DistortionBound bound) => bound.MaxLInf is not null ? SearchStrategy.Square : SearchStrategy.Dflare;

    /// <summary>Parses a strategy name (any case).</summary>
    /// <exception cref="DflareException">The name is not a known strategy.</exception>
    public static SearchStrategy Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "dflare" => SearchStrategy.Dflare,
        "diffchaser" => SearchStrategy.DiffChaser,
        "random-ops" => SearchStrategy.RandomOps,
        "gap-only" => SearchStrategy.GapOnly,
        "square" => SearchStrategy.Square,
        "dflare-reference" => SearchStrategy.DflareReference,
        _ => throw new DflareException($"Unknown strategy '{text}'; use one of: {string.Join(", ", Names)}."),
    };
}
