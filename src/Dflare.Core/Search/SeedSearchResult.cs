using Dflare.Images;

namespace Dflare.Search;

/// <summary>One accepted DFlare mutation: which operator, applied as the <see cref="Mutant"/>-th mutant the search generated.</summary>
/// <param name="Mutant">1-based number of the mutant among all the seed's generated mutants; its random stream is derived from it.</param>
/// <param name="Operator">The operator's name.</param>
public sealed record MutationStep(int Mutant, string Operator);

/// <summary>How often an operator was selected for a seed and how often its mutant was kept.</summary>
/// <param name="Operator">The operator's name.</param>
/// <param name="Selections">Times selected.</param>
/// <param name="Successes">Times its mutant was kept (or triggered).</param>
public sealed record OperatorStat(string Operator, int Selections, int Successes);

/// <summary>How a triggering input was shrunk toward its seed, and its distances before (the reported ones are after).</summary>
/// <param name="Queries">Queries spent shrinking (2 per evaluated image), on top of the search's.</param>
/// <param name="Probes">Images evaluated by the shrinking passes (not counting the short square attack).</param>
/// <param name="Accepted">Of those, the ones that still deviated and became the reported input.</param>
/// <param name="L0Before">Values changed from the seed before shrinking.</param>
/// <param name="L2Before">L2 distance to the seed before shrinking, in pixel levels.</param>
/// <param name="LInfBefore">L∞ distance to the seed before shrinking, in pixel levels.</param>
/// <param name="SsimBefore">SSIM to the seed before shrinking.</param>
public sealed record ShrinkOutcome(long Queries, int Probes, int Accepted, int L0Before, double L2Before, int LInfBefore, double SsimBefore)
{
    /// <summary>True when the short <c>square</c> attack shrinking tries first on a far input found a nearer deviation (see <see cref="SeedSearch.NearerRadius"/>).</summary>
    public bool NearerFound { get; init; }
}

/// <summary>Everything recorded about the search of one seed.</summary>
public sealed record SeedSearchResult
{
    /// <summary>The seed's id in its source.</summary>
    public required string SeedId { get; init; }
    /// <summary>The seed's position in its source.</summary>
    public required int SeedIndex { get; init; }
    /// <summary>The seed's true label, when the source has labels.</summary>
    public int? TrueLabel { get; init; }
    /// <summary>The outcome.</summary>
    public required SearchStatus Status { get; init; }
    /// <summary>Why the search stopped, in words (e.g. <c>budget spent</c>, <c>time limit</c>, <c>labels differ</c>).</summary>
    public required string StopReason { get; init; }
    /// <summary>Model queries spent on the seed (both models; one image on both = 2; the seed check included).</summary>
    public required long Queries { get; init; }
    /// <summary>Of <see cref="Queries"/>, those that went to the original model (the rest went to the compressed one).</summary>
    public long OriginalQueries { get; init; }
    /// <summary>DFlare: mutants evaluated. DiffChaser: generations evaluated (the initial population is generation 1).</summary>
    public required int Iterations { get; init; }
    /// <summary>Wall time attributed to the seed, in seconds (its share of each lock-step batch). Not deterministic.</summary>
    public double Seconds { get; init; }
    /// <summary>Original model's label on the seed.</summary>
    public required int SeedOriginalLabel { get; init; }
    /// <summary>Compressed model's label on the seed.</summary>
    public required int SeedCompressedLabel { get; init; }
    /// <summary>The seed image at model geometry (what the search started from).</summary>
    public required Image SeedImage { get; init; }
    /// <summary>Original model's probabilities on the seed.</summary>
    public required float[] SeedOriginalProbabilities { get; init; }
    /// <summary>Compressed model's probabilities on the seed.</summary>
    public required float[] SeedCompressedProbabilities { get; init; }
    /// <summary>The triggering input (null unless <see cref="SearchStatus.Triggered"/>).</summary>
    public Image? Trigger { get; init; }
    /// <summary>Original model's top-1 label on the triggering input (on the seed when already deviating; null when not found).</summary>
    public int? OriginalLabel { get; init; }
    /// <summary>Compressed model's top-1 label on the triggering input (on the seed when already deviating; null when not found).</summary>
    public int? CompressedLabel { get; init; }
    /// <summary>Original model's probabilities on the triggering input (on the seed when already deviating).</summary>
    public float[]? OriginalProbabilities { get; init; }
    /// <summary>Compressed model's probabilities on the triggering input (on the seed when already deviating).</summary>
    public float[]? CompressedProbabilities { get; init; }
    /// <summary>The triggering input as the search found it, before shrinking (the same as <see cref="Trigger"/> when it was not shrunk).</summary>
    public Image? FoundTrigger { get; init; }
    /// <summary>How the triggering input was shrunk (null when it was not: shrinking off, or no trigger).</summary>
    public ShrinkOutcome? Shrink { get; init; }
    /// <summary>Queries spent shrinking the triggering input, on top of <see cref="Queries"/> (0 when not shrunk).</summary>
    public long ShrinkQueries => Shrink?.Queries ?? 0;
    /// <summary>Values changed from the seed.</summary>
    public int? L0 { get; init; }
    /// <summary>Euclidean distance to the seed, in pixel levels.</summary>
    public double? L2 { get; init; }
    /// <summary>Largest change from the seed, in pixel levels.</summary>
    public int? LInf { get; init; }
    /// <summary>SSIM to the seed.</summary>
    public double? Ssim { get; init; }
    /// <summary>
    /// DFlare: the accepted mutations that built the triggering input, in order. With the run seed, the seed id and the
    /// operator settings, <see cref="DflareStrategy.DflareSearch.Replay"/> rebuilds the input as found (<see cref="FoundTrigger"/>) bit for bit without the models.
    /// Empty for DiffChaser.
    /// </summary>
    public IReadOnlyList<MutationStep> Mutations { get; init; } = [];
    /// <summary>DFlare: per-operator selections and successes on this seed.</summary>
    public IReadOnlyList<OperatorStat> OperatorStats { get; init; } = [];
    /// <summary>Evaluated images whose top-1 labels differed by argmax but that did not count (tie or below the minimum margin).</summary>
    public int TiesOrBelowMargin { get; init; }
}
