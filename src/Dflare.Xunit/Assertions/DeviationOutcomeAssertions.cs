using AwesomeAssertions;
using AwesomeAssertions.Execution;
using AwesomeAssertions.Primitives;

namespace Dflare.Xunit;

/// <summary>AwesomeAssertions entry points for Dflare outcomes.</summary>
public static class DflareAssertionExtensions
{
    /// <summary>Starts assertions on a deviation outcome.</summary>
    public static DeviationOutcomeAssertions Should(this DeviationOutcome outcome) => new(outcome, AssertionChain.GetOrCreate());
}

/// <summary>Assertions on a <see cref="DeviationOutcome"/>.</summary>
public sealed class DeviationOutcomeAssertions : ReferenceTypeAssertions<DeviationOutcome, DeviationOutcomeAssertions>
{
    /// <summary>Creates the assertions.</summary>
    public DeviationOutcomeAssertions(DeviationOutcome subject, AssertionChain chain) : base(subject, chain) { }

    /// <inheritdoc />
    protected override string Identifier => "deviation outcome";

    /// <summary>Asserts that no seed deviates (not even an accepted, verified deviation).</summary>
    public AndConstraint<DeviationOutcomeAssertions> HaveNoDeviations(string because = "", params object[] becauseArgs)
    {
        var d = Subject.Deviations;
        return CurrentAssertionChain.Check(this, d.Count == 0, because, becauseArgs,
            "Expected {context:deviation outcome} to have no deviations{reason}, but found {0}: {1}.",
            d.Count, string.Join("; ", d.Select(s => Subject.Verdict.Describe(s.Finding))));
    }

    /// <summary>Asserts that at most <paramref name="count"/> seeds deviate.</summary>
    public AndConstraint<DeviationOutcomeAssertions> HaveAtMostDeviations(int count, string because = "", params object[] becauseArgs)
    {
        var n = Subject.Deviations.Count;
        return CurrentAssertionChain.Check(this, n <= count, because, becauseArgs,
            "Expected {context:deviation outcome} to have at most {0} deviation(s){reason}, but found {1}.", count, n);
    }

    /// <summary>Asserts that every deviation is accepted (matches its verified snapshot).</summary>
    public AndConstraint<DeviationOutcomeAssertions> HaveOnlyAcceptedDeviations(string because = "", params object[] becauseArgs)
    {
        var u = Subject.UnacceptedDeviations;
        return CurrentAssertionChain.Check(this, u.Count == 0, because, becauseArgs,
            "Expected every deviation of {context:deviation outcome} to be accepted{reason}, but {0} are not: {1}.", u.Count, string.Join(", ", u.Select(s => s.SeedId)));
    }

    /// <summary>Asserts that the search spent at most <paramref name="queries"/> model queries in all.</summary>
    public AndConstraint<DeviationOutcomeAssertions> HaveSpentAtMostQueries(long queries, string because = "", params object[] becauseArgs)
    {
        return CurrentAssertionChain.Check(this, Subject.TotalQueries <= queries, because, becauseArgs,
            "Expected {context:deviation outcome} to spend at most {0} queries{reason}, but it spent {1}.", queries, Subject.TotalQueries);
    }
}
