using Dflare.Check;
using Dflare.Search;

namespace Dflare.Xunit;

/// <summary>What a <see cref="DeviationSearchAttribute"/> case concluded for one seed.</summary>
public sealed class SeedOutcome
{
    internal SeedOutcome(SeedFinding finding) => Finding = finding;

    /// <summary>The seed's id.</summary>
    public string SeedId => Finding.SeedId;
    /// <summary>Clean, known, new, changed, fixed or error.</summary>
    public SeedState State => Finding.State;
    /// <summary>True when the seed's input deviates now (known, new or changed).</summary>
    public bool Deviates => Finding.Deviates;
    /// <summary>The evidence: labels, margins, distances, the input, the accepted labels.</summary>
    public SeedFinding Finding { get; }
    /// <summary>True when the deviation is not accepted (new or changed).</summary>
    public bool IsUnaccepted => State.IsUnaccepted();
    /// <summary>Queries spent on this seed (both models).</summary>
    public long Queries => Finding.Queries;

    /// <inheritdoc />
    public override string ToString() => $"seed {SeedId}: {State.Word()} ({Queries} queries)";
}

/// <summary>
/// The outcome of a deviation-search test case, passed to a test method that takes it so the test can add its own
/// assertions (see <c>outcome.Should().HaveNoDeviations()</c>).
/// </summary>
public sealed class DeviationOutcome
{
    internal DeviationOutcome(CheckVerdict verdict)
    {
        Verdict = verdict;
        Seeds = verdict.Findings.Select(f => new SeedOutcome(f)).ToList();
    }

    /// <summary>The check's verdict (counts, rate, accuracy, message).</summary>
    public CheckVerdict Verdict { get; }
    /// <summary>Path of the original model.</summary>
    public string OriginalModel => Verdict.Settings.Original;
    /// <summary>Path of the compressed model.</summary>
    public string CompressedModel => Verdict.Settings.Compressed;
    /// <summary>The search settings used (strategy, budget, run seed, margin, bound).</summary>
    public SearchSettings Settings => Verdict.Settings.SearchSettings();
    /// <summary>Every seed checked by this case.</summary>
    public IReadOnlyList<SeedOutcome> Seeds { get; }
    /// <summary>Seeds whose input deviates now (known, new or changed).</summary>
    public IReadOnlyList<SeedOutcome> Deviations => Seeds.Where(s => s.Deviates).ToList();
    /// <summary>Deviations not accepted (new or changed).</summary>
    public IReadOnlyList<SeedOutcome> UnacceptedDeviations => Seeds.Where(s => s.IsUnaccepted).ToList();
    /// <summary>Seeds per state.</summary>
    public StateCounts Counts => Verdict.Counts;
    /// <summary>Queries spent (both models).</summary>
    public long TotalQueries => Verdict.Queries;
    /// <summary>Wall time of the check in seconds.</summary>
    public double Seconds => Verdict.Seconds;
    /// <summary>True when the framework's own check passed (it has already failed the test otherwise).</summary>
    public bool Passed => Verdict.Passed;
    /// <summary>The message: headline, settings, the first findings and how to accept.</summary>
    public string Message => Verdict.Message;

    /// <inheritdoc />
    public override string ToString() => Verdict.Headline;
}
