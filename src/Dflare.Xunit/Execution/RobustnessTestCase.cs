using System.ComponentModel;
using System.Reflection;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>The test case of a <see cref="QuanosRobustnessAttribute"/>.</summary>
public sealed class RobustnessTestCase : DflareTestCase
{
    /// <summary>For the de-serializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public RobustnessTestCase() { }

    /// <summary>Creates the case.</summary>
    public RobustnessTestCase(string? configurationError, IXunitTestMethod testMethod, string displayName, string uniqueID, bool @explicit,
        Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(configurationError, testMethod, displayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen,
               traits, sourceFilePath, sourceLineNumber, timeout) { }

    /// <inheritdoc />
    protected override Type OutcomeType => typeof(RobustnessOutcome);

    /// <inheritdoc />
    protected override void OnError(string message)
    {
        if (TestMethod.Method.GetCustomAttribute<QuanosRobustnessAttribute>() is { } a)
            RobustnessCaseRunner.RecordError(TestMethod.TestClass.Class, TestMethod.Method, a, message);
    }

    /// <inheritdoc />
    protected override Task<(object Outcome, CaseFailureReport? Failure)> Check(CancellationToken cancellation)
    {
        var a = TestMethod.Method.GetCustomAttribute<QuanosRobustnessAttribute>()
            ?? throw new InvalidOperationException($"{TestMethod.MethodName} has no [QuanosRobustness] attribute.");
        var outcome = RobustnessCaseRunner.Run(a, cancellation);
        RobustnessCaseRunner.Record(TestMethod.TestClass.Class, TestMethod.Method, a, outcome);
        return Task.FromResult<(object, CaseFailureReport?)>((outcome, outcome.Passed ? null : new CaseFailureReport(outcome.Message, [])));
    }
}
