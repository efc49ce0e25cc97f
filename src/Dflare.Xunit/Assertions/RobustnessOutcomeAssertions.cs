using AwesomeAssertions;
using AwesomeAssertions.Execution;
using AwesomeAssertions.Primitives;

namespace Dflare.Xunit;

/// <summary>AwesomeAssertions entry point for robustness outcomes.</summary>
public static class RobustnessAssertionExtensions
{
    /// <summary>Starts assertions on a robustness outcome.</summary>
    public static RobustnessOutcomeAssertions Should(this RobustnessOutcome outcome) => new(outcome, AssertionChain.GetOrCreate());
}

/// <summary>Assertions on a <see cref="RobustnessOutcome"/>.</summary>
public sealed class RobustnessOutcomeAssertions : ReferenceTypeAssertions<RobustnessOutcome, RobustnessOutcomeAssertions>
{
    /// <summary>Creates the assertions.</summary>
    public RobustnessOutcomeAssertions(RobustnessOutcome subject, AssertionChain chain) : base(subject, chain) { }

    /// <inheritdoc />
    protected override string Identifier => "robustness outcome";

    /// <summary>Asserts a minimum median flipping ε.</summary>
    public AndConstraint<RobustnessOutcomeAssertions> HaveMedianFlipEpsilonOfAtLeast(double epsilon, string because = "", params object[] becauseArgs)
    {
        return CurrentAssertionChain.Check(this, Subject.MedianFlipEpsilon >= epsilon, because, becauseArgs,
            "Expected {context:robustness outcome} to have a median flipping epsilon of at least {0}{reason}, but it was {1}.", epsilon, Subject.MedianFlipEpsilon);
    }

    /// <summary>Asserts a minimum adversarial accuracy at the attribute's ε (labelled seeds only; worst case over the attacks and the transfer).</summary>
    public AndConstraint<RobustnessOutcomeAssertions> HaveAdversarialAccuracyOfAtLeast(double accuracy, string because = "", params object[] becauseArgs)
    {
        var a = Subject.AdversarialAccuracy;
        return CurrentAssertionChain.Check(this, a is { } v && v >= accuracy, because, becauseArgs,
            "Expected {context:robustness outcome} to have an adversarial accuracy of at least {0}{reason}, but it was {1}.", accuracy, a);
    }

    /// <summary>
    /// Asserts that at most a share <paramref name="rate"/> of the seeds change their top-1 class at the attribute's ε
    /// (worst case over the attacks and the transfer; needs no labels). A model with 0 % adversarial accuracy flips
    /// every correctly classified seed and fails any rate below 1.
    /// </summary>
    public AndConstraint<RobustnessOutcomeAssertions> FlipAtEpsilonAtMost(double rate, string because = "", params object[] becauseArgs)
    {
        var e = Subject.Evidence;
        double actual = e.Count == 0 ? 0 : (double)e.Flips / e.Count;
        return CurrentAssertionChain.Check(this, actual <= rate, because, becauseArgs,
            "Expected {context:robustness outcome} to flip at most {0} of the seeds at ε{reason}, but {1} of {2} flipped.", rate, e.Flips, e.Count);
    }
}
