using Dflare.Attacks;
using Dflare.Quanos.Gradients;

namespace Dflare.Quanos.Robustness;

/// <summary>
/// The attacks a robustness check runs, by name: <c>square</c> (the gradient-free Square Attack) and <c>fgsm</c>
/// (query-only FGSM); <c>all</c> is both. <c>dflare robustness --attack</c> and <c>[QuanosRobustness(Attack = …)]</c>
/// both read and build them here.
/// </summary>
public static class RobustnessAttacks
{
    /// <summary>Reads a comma-separated list of attack names (any case; <c>all</c> = square and fgsm), without repeats, in order.</summary>
    /// <exception cref="SettingException">A name is not an attack, or the list names none (the setting is <c>Attack</c>).</exception>
    public static IReadOnlyList<string> Parse(string text)
    {
        var names = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var p = part.ToLowerInvariant();
            if (p == "all") names.AddRange(["square", "fgsm"]);
            else if (p is "square" or "fgsm") names.Add(p);
            else throw new SettingException($"Unknown attack '{part}' in Attack; use square, fgsm or all (comma-separated).", "Attack");
        }
        if (names.Count == 0) throw new SettingException("Attack names no attack; use square, fgsm or all.", "Attack");
        return names.Distinct().ToList();
    }

    /// <summary>The attacks <paramref name="names"/> (from <see cref="Parse"/>) name, in that order.</summary>
    /// <param name="names">The attack names.</param>
    /// <param name="options">The ε and the flip scan, shared by all.</param>
    /// <param name="square">The Square Attack's queries, p_init and seed.</param>
    /// <param name="flipSteps">The Square Attack's bisection steps of the flip search.</param>
    /// <param name="gradient">FGSM's gradient estimate (needed when <c>fgsm</c> is named).</param>
    /// <param name="reference">A finite-difference estimate FGSM compares its gradients with (cosine), or null.</param>
    /// <exception cref="ArgumentException"><c>fgsm</c> is named without a gradient, or a name is not an attack.</exception>
    public static IReadOnlyList<IRobustnessAttack> Create(IReadOnlyList<string> names, RobustnessOptions options, SquareAttackOptions square,
        int flipSteps, IGradientEstimator? gradient, IGradientEstimator? reference = null) =>
        names.Select(n => n switch
        {
            "square" => (IRobustnessAttack)new SquareRobustnessAnalyzer(options, square, flipSteps),
            "fgsm" => new RobustnessAnalyzer(gradient ?? throw new ArgumentException("FGSM needs a gradient estimate.", nameof(gradient)), options, reference),
            _ => throw new ArgumentException($"'{n}' is not an attack.", nameof(names)),
        }).ToList();
}
