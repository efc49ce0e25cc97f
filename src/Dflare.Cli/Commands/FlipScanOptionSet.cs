using System.CommandLine;

namespace Dflare.Cli.Commands;

/// <summary>
/// The flip-ε scan options of the attacking commands (<c>quanos</c>, <c>robustness</c>): <c>--grid</c>,
/// <c>--max-epsilon</c> and <c>--refine</c>.
/// </summary>
/// <param name="gridDescription">The help text of <c>--grid</c>.</param>
internal sealed class FlipScanOptionSet(string gridDescription)
{
    public Option<int> Grid { get; } = new("--grid") { Description = gridDescription, DefaultValueFactory = _ => 20 };
    public Option<string?> MaxEpsilon { get; } = new("--max-epsilon") { Description = "End of the flip-ε scan (default max(E, min(4E, 0.5)))." };
    public Option<int> Refine { get; } = new("--refine") { Description = "Extra points scanned between the last non-flipping and the first flipping grid point.", DefaultValueFactory = _ => 0 };

    /// <summary>The options, in the order they are listed in help.</summary>
    public IEnumerable<Option> All => [Grid, MaxEpsilon, Refine];

    /// <summary>The parsed <c>--max-epsilon</c>, or null when it is not given.</summary>
    public double? ReadMaxEpsilon(ParseResult r) => r.GetValue(MaxEpsilon) is { } m ? EpsilonText.ParseEpsilon(m, "--max-epsilon") : null;
}
