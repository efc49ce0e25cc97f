using AwesomeAssertions;
using AwesomeAssertions.Execution;

namespace Dflare.Xunit;

/// <summary>The check every outcome assertion makes: fail the chain with a message unless a condition holds.</summary>
internal static class OutcomeAssertionChecks
{
    /// <summary>
    /// Fails <paramref name="chain"/> with <paramref name="message"/> (formatted with <paramref name="args"/>) unless
    /// <paramref name="condition"/> holds, and returns an and-constraint over <paramref name="assertions"/>.
    /// </summary>
    [CustomAssertion]
    public static AndConstraint<TAssertions> Check<TAssertions>(this AssertionChain chain, TAssertions assertions, bool condition,
        string because, object[] becauseArgs, string message, params object?[] args)
    {
        chain.BecauseOf(because, becauseArgs).ForCondition(condition).FailWith(message, args);
        return new(assertions);
    }
}
