using System.CommandLine;
using Dflare.Quanos.Gradients;

namespace Dflare.Cli.Commands;

/// <summary>
/// The gradient-estimator options of the attacking commands (<c>quanos</c>, <c>robustness</c>): <c>--gradient</c>,
/// <c>--samples</c>, <c>--seed</c>, <c>--tile</c> and <c>--fd-step</c>.
/// </summary>
internal sealed class GradientOptionSet
{
    public Option<string> Gradient { get; } = new("--gradient") { Description = "Gradient estimator: fd (central finite differences, 2·H·W·C queries) or spsa (2·samples queries).", DefaultValueFactory = _ => "fd" };
    public Option<int?> Samples { get; } = new("--samples") { Description = "SPSA direction pairs per gradient (default 100)." };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Run seed of the random draws (SPSA directions, Square Attack squares).", DefaultValueFactory = _ => 0UL };
    public Option<int> Tile { get; } = new("--tile") { Description = "SPSA: directions constant over N×N pixel blocks.", DefaultValueFactory = _ => 1 };
    public Option<double> FdStep { get; } = new("--fd-step") { Description = "Finite-difference step in grey levels (0..255 scale).", DefaultValueFactory = _ => 1.0 };

    /// <summary>The options, in the order they are listed in help.</summary>
    public IEnumerable<Option> All => [Gradient, Samples, Seed, Tile, FdStep];

    /// <summary>The estimator the options choose.</summary>
    /// <exception cref="DflareException">An unknown estimator, or <c>--samples</c> with <c>fd</c>.</exception>
    public IGradientEstimator Read(ParseResult r) => r.GetValue(Gradient)?.ToLowerInvariant() switch
    {
        "fd" when r.GetValue(Samples) is not null => throw new DflareException("--samples applies to --gradient spsa, not fd."),
        "fd" => FiniteDifference(r),
        "spsa" => new SpsaGradient(r.GetValue(Samples) ?? 100, r.GetValue(Seed), tile: r.GetValue(Tile)),
        var v => throw new DflareException($"Unknown gradient estimator '{v}'; use fd or spsa."),
    };

    /// <summary>The finite-difference estimator at <c>--fd-step</c>.</summary>
    public FiniteDifferenceGradient FiniteDifference(ParseResult r) => new(r.GetValue(FdStep));
}
