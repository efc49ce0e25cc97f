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
}

/// <summary>Names of strategies on the command line and in results.</summary>
public static class SearchStrategies
{
    /// <summary>All strategy names: <c>dflare</c>, <c>diffchaser</c>, <c>random-ops</c>, <c>gap-only</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["dflare", "diffchaser", "random-ops", "gap-only"];

    /// <summary>The command-line name of a strategy.</summary>
    public static string Name(this SearchStrategy s) => s switch
    {
        SearchStrategy.Dflare => "dflare",
        SearchStrategy.DiffChaser => "diffchaser",
        SearchStrategy.RandomOps => "random-ops",
        SearchStrategy.GapOnly => "gap-only",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    /// <summary>Parses a strategy name (any case).</summary>
    /// <exception cref="DflareException">The name is not a known strategy.</exception>
    public static SearchStrategy Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "dflare" => SearchStrategy.Dflare,
        "diffchaser" => SearchStrategy.DiffChaser,
        "random-ops" => SearchStrategy.RandomOps,
        "gap-only" => SearchStrategy.GapOnly,
        _ => throw new DflareException($"Unknown strategy '{text}'; use one of: {string.Join(", ", Names)}."),
    };
}
