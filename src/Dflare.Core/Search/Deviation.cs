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
}

/// <summary>
/// The deviation rule. Quantized models can give two classes exactly the same top score; <c>argmax</c> would then pick
/// the lowest index and could report a "deviation" that is only an artefact of index order. So: an image on which
/// either model's top-1 is tied is <see cref="Verdict.Tie"/> — not a deviation, whatever the argmax says (the search
/// goes on and uses it like any non-deviating mutant). With a minimum margin m &gt; 0, a deviation also needs each
/// model's top-1 probability to exceed its second by at least m (<see cref="Verdict.BelowMargin"/> otherwise).
/// </summary>
public static class Deviation
{
    /// <summary>Judges one image from both models' probability vectors.</summary>
    public static Verdict Judge(ReadOnlySpan<float> original, ReadOnlySpan<float> compressed, double minMargin = 0)
    {
        if (Labels.HasTopTie(original) || Labels.HasTopTie(compressed)) return Verdict.Tie;
        if (Labels.ArgMax(original) == Labels.ArgMax(compressed)) return Verdict.Agree;
        if (minMargin > 0 && (Labels.TopMargin(original) < minMargin || Labels.TopMargin(compressed) < minMargin)) return Verdict.BelowMargin;
        return Verdict.Deviate;
    }
}
