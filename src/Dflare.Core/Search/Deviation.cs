using Dflare.Models;

namespace Dflare.Search;

/// <summary>How a pair of predictions for one image is judged.</summary>
public enum Verdict
{
    /// <summary>Both models have the same strict top-1 label.</summary>
    Agree,
    /// <summary>The strict top-1 labels differ (and, with a minimum margin, both win by at least it): a deviation.</summary>
    Deviate,
    /// <summary>At least one model's top score is shared exactly by two or more classes: never a deviation.</summary>
    Tie,
    /// <summary>The top-1 labels differ but one model's top-1 beats its second class by less than the minimum margin.</summary>
    BelowMargin,
    /// <summary>
    /// The top-1 labels differ with both margins, but the original no longer gives the label it gave on the seed: with a
    /// minimum margin a deviation must show the seed's answer on the original's side (see <see cref="Deviation"/>).
    /// </summary>
    OriginalMoved,
}

/// <summary>
/// The deviation rule. Quantized models can give two classes exactly the same top score; <c>argmax</c> would then pick
/// the lowest index and could report a "deviation" that is only an artefact of index order. So: an image on which
/// either model's top-1 is tied is <see cref="Verdict.Tie"/> — not a deviation, whatever the argmax says (the search
/// goes on and uses it like any non-deviating mutant). With a minimum margin m &gt; 0, a deviation also needs each
/// model's top-1 probability to exceed its second by at least m (<see cref="Verdict.BelowMargin"/> otherwise), and,
/// when the seed's label is given, the original to keep it (<see cref="Verdict.OriginalMoved"/> otherwise): a
/// confident deviation is "the original still says what it said on the seed, the compressed model confidently says
/// something else". Without that rule a confident "deviation" can be an image the original itself no longer recognises
/// (a truck that both models now call something, each a different thing), which is the original's fragility, not the
/// compression's.
/// </summary>
public static class Deviation
{
    /// <summary>Judges one image from both models' probability vectors.</summary>
    /// <param name="original">The original model's probabilities at the image.</param>
    /// <param name="compressed">The compressed model's probabilities at the image.</param>
    /// <param name="minMargin">Both top-1 margins must be at least this (0: any label change).</param>
    /// <param name="seedLabel">The original's label on the seed, which it must keep when <paramref name="minMargin"/> &gt; 0 (negative: not checked).</param>
    public static Verdict Judge(ReadOnlySpan<float> original, ReadOnlySpan<float> compressed, double minMargin = 0, int seedLabel = -1)
    {
        if (Labels.HasTopTie(original) || Labels.HasTopTie(compressed)) return Verdict.Tie;
        int lo = Labels.ArgMax(original);
        if (lo == Labels.ArgMax(compressed)) return Verdict.Agree;
        if (minMargin > 0 && (Labels.TopMargin(original) < minMargin || Labels.TopMargin(compressed) < minMargin)) return Verdict.BelowMargin;
        if (minMargin > 0 && seedLabel >= 0 && lo != seedLabel) return Verdict.OriginalMoved;
        return Verdict.Deviate;
    }
}
