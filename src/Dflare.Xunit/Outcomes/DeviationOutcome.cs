using Dflare.Search;
using Dflare.Snapshots;

namespace Dflare.Xunit;

/// <summary>What a <see cref="DeviationSearchAttribute"/> case found for one seed.</summary>
public sealed class SeedOutcome
{
    internal SeedOutcome(SeedSearchResult result, SnapshotVerdict verdict)
    {
        Result = result;
        Verdict = verdict;
    }

    /// <summary>The seed's id.</summary>
    public string SeedId => Result.SeedId;
    /// <summary>Triggered, not found, or already deviating.</summary>
    public SearchStatus Status => Result.Status;
    /// <summary>True when the two models disagree on this seed or on an input grown from it.</summary>
    public bool Deviates => Status is SearchStatus.Triggered or SearchStatus.AlreadyDeviating;
    /// <summary>The full search result (triggering image, labels, probabilities, distances, operators).</summary>
    public SeedSearchResult Result { get; }
    /// <summary>How the finding compares with the verified snapshot.</summary>
    public SnapshotVerdict Verdict { get; }
    /// <summary>True when the deviation is new or differs from the verified snapshot (not accepted yet).</summary>
    public bool IsUnaccepted => Verdict.Outcome is SnapshotOutcome.NewDeviation or SnapshotOutcome.Mismatch;
    /// <summary>Queries spent on this seed (both models).</summary>
    public long Queries => Result.Queries;

    /// <inheritdoc />
    public override string ToString() => $"seed {SeedId}: {Status} ({Verdict.Outcome}, {Queries} queries)";
}

/// <summary>
/// The outcome of a deviation-search test case, passed to a test method that takes it so the test can add its own
/// assertions (see <c>outcome.Should().HaveNoDeviations()</c>).
/// </summary>
public sealed class DeviationOutcome
{
    internal DeviationOutcome(string original, string compressed, SearchSettings settings, IReadOnlyList<SeedOutcome> seeds, double seconds, bool passed, string message)
    {
        OriginalModel = original; CompressedModel = compressed; Settings = settings; Seeds = seeds; Seconds = seconds; Passed = passed; Message = message;
    }

    /// <summary>Path of the original model.</summary>
    public string OriginalModel { get; }
    /// <summary>Path of the compressed model.</summary>
    public string CompressedModel { get; }
    /// <summary>The search settings used (strategy, budget, run seed, …).</summary>
    public SearchSettings Settings { get; }
    /// <summary>Every seed searched by this case.</summary>
    public IReadOnlyList<SeedOutcome> Seeds { get; }
    /// <summary>Seeds on which a deviation was found (accepted or not).</summary>
    public IReadOnlyList<SeedOutcome> Deviations => Seeds.Where(s => s.Deviates).ToList();
    /// <summary>Deviations not matched by a verified snapshot.</summary>
    public IReadOnlyList<SeedOutcome> UnacceptedDeviations => Seeds.Where(s => s.IsUnaccepted).ToList();
    /// <summary>Queries spent (both models).</summary>
    public long TotalQueries => Seeds.Sum(s => s.Queries);
    /// <summary>Wall time of the search in seconds.</summary>
    public double Seconds { get; }
    /// <summary>True when the framework's own check passed (it has already failed the test otherwise).</summary>
    public bool Passed { get; }
    /// <summary>A plain-words summary (the failure message when <see cref="Passed"/> is false).</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Path.GetFileName(OriginalModel)} vs {Path.GetFileName(CompressedModel)}: {Seeds.Count} seed(s), {Deviations.Count} deviation(s), {TotalQueries} queries";
}
