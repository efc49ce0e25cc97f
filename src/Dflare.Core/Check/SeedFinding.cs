using Dflare.Images;
using Dflare.Search;

namespace Dflare.Check;

/// <summary>What the check concluded for one seed, with the evidence.</summary>
public sealed record SeedFinding
{
    /// <summary>The seed's id in its source.</summary>
    public required string SeedId { get; init; }
    /// <summary>The seed's position in its source.</summary>
    public required int Index { get; init; }
    /// <summary>The conclusion.</summary>
    public required SeedState State { get; init; }
    /// <summary>The seed's true label, when the source has labels.</summary>
    public int? TrueLabel { get; init; }
    /// <summary>The original model's label on the unmodified seed (null when the seed could not be evaluated).</summary>
    public int? SeedOriginalLabel { get; init; }
    /// <summary>The compressed model's label on the unmodified seed.</summary>
    public int? SeedCompressedLabel { get; init; }
    /// <summary>The seed at model geometry.</summary>
    public Image? SeedImage { get; init; }
    /// <summary>The input the finding is about: the triggering input found, or the accepted one replayed (null for clean seeds).</summary>
    public Image? Input { get; init; }
    /// <summary>The original model's probabilities on <see cref="Input"/>.</summary>
    public float[]? OriginalProbabilities { get; init; }
    /// <summary>The compressed model's probabilities on <see cref="Input"/>.</summary>
    public float[]? CompressedProbabilities { get; init; }
    /// <summary>The original model's label on <see cref="Input"/>.</summary>
    public int? OriginalLabel { get; init; }
    /// <summary>The compressed model's label on <see cref="Input"/>.</summary>
    public int? CompressedLabel { get; init; }
    /// <summary>The original model's top-1 minus second probability on <see cref="Input"/> (severity).</summary>
    public double? OriginalMargin { get; init; }
    /// <summary>The compressed model's top-1 minus second probability on <see cref="Input"/> (severity).</summary>
    public double? CompressedMargin { get; init; }
    /// <summary>The accepted labels (original, compressed) of a replayed snapshot.</summary>
    public (int Original, int Compressed)? AcceptedLabels { get; init; }
    /// <summary>The search's status (null when the seed was not searched).</summary>
    public SearchStatus? SearchStatus { get; init; }
    /// <summary>Model queries spent on the seed (replay, search).</summary>
    public long Queries { get; init; }
    /// <summary>Wall time attributed to the seed's search, in seconds.</summary>
    public double Seconds { get; init; }
    /// <summary>L∞ of <see cref="Input"/> from the seed, in grey levels.</summary>
    public int? LInf { get; init; }
    /// <summary>L2 of <see cref="Input"/> from the seed, in grey levels.</summary>
    public double? L2 { get; init; }
    /// <summary>SSIM of <see cref="Input"/> to the seed.</summary>
    public double? Ssim { get; init; }
    /// <summary>The mutation operators that built a found input.</summary>
    public IReadOnlyList<string> Operators { get; init; } = [];
    /// <summary>The verified snapshot image, when one exists.</summary>
    public string? VerifiedImage { get; init; }
    /// <summary>The received snapshot image written for review, when one was written.</summary>
    public string? ReceivedImage { get; init; }
    /// <summary>A sentence to add (e.g. which model file changed since the snapshot was accepted, or what went wrong).</summary>
    public string? Note { get; init; }

    /// <summary>True when <see cref="Input"/> deviates now.</summary>
    public bool Deviates => State.Deviates();
}
