namespace Dflare.Search.DflareReference;

/// <summary>
/// The three ways the DFlare authors' shipped code differed from the engine's first <c>dflare</c>, each of which the
/// <c>dflare-reference</c> strategy applies (all true by default). They exist to measure what each one is worth (the
/// ablations in docs/benchmarks.md). <c>dflare</c> has since adopted the acceptance rule and (as the operators'
/// default) the uint8 noise: with <see cref="MemorylessRanks"/> false, <c>dflare-reference</c> gives the same results as
/// <c>dflare</c> with the same operators. Not on the command line.
/// </summary>
public sealed record DflareReferenceSettings
{
    /// <summary>
    /// The shipped acceptance rule: a mutant is kept when its |gap| differs from the last kept mutant's by more than
    /// <see cref="SearchSettings.GapEpsilon"/> in <em>either</em> direction, or its probability pair is novel; the
    /// reference |gap| starts at 0 (not the seed's) and becomes the kept mutant's, and only novel pairs join the pairs
    /// novelty is measured against (now <c>dflare</c>'s rule too). False: the earlier <c>dflare</c> rule (the gap must
    /// grow over the best so far, starting from the seed's; every evaluated pair is remembered).
    /// </summary>
    public bool EitherDirection { get; init; } = true;

    /// <summary>The shipped operator choice: ranks drawn from k1 = −1 (see <see cref="DflareStrategy.OperatorSelector.Memoryless"/>). False: from the last accepted operator's rank.</summary>
    public bool MemorylessRanks { get; init; } = true;

    /// <summary>The shipped noise arithmetic: both noise operators use <see cref="Mutation.NoiseCast.Uint8"/> (truncation, wrap-around; now the operators' default) whatever their <c>cast</c>. False: the operators as given.</summary>
    public bool Uint8Noise { get; init; } = true;

    /// <summary>A short label of what differs from the defaults, e.g. <c>no-uint8</c>; empty for the faithful defaults.</summary>
    public string Label => string.Join("+", new[] { EitherDirection ? null : "no-either-direction", MemorylessRanks ? null : "no-memoryless", Uint8Noise ? null : "no-uint8" }.Where(s => s is not null));
}
