using System.ComponentModel;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>The test case of a <see cref="QuanosRobustnessAttribute"/>. It runs from its <see cref="Plan"/> alone.</summary>
public sealed class RobustnessTestCase : DflareTestCase
{
    /// <summary>For the de-serializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public RobustnessTestCase() { }

    /// <summary>Creates the case.</summary>
    public RobustnessTestCase(RobustnessCasePlan plan, string? configurationError, IXunitTestMethod testMethod, string displayName, string uniqueID, bool @explicit,
        Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(configurationError, testMethod, displayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen,
               traits, sourceFilePath, sourceLineNumber, timeout) => Plan = plan;

    /// <summary>What the attribute asks for, checked and resolved at discovery.</summary>
    public RobustnessCasePlan Plan { get; private set; } = null!;

    /// <inheritdoc />
    protected override Type OutcomeType => typeof(RobustnessOutcome);

    /// <inheritdoc />
    protected override void Serialize(IXunitSerializationInfo info)
    {
        base.Serialize(info);
        info.AddValue("dflare.plan", Plan.ToJson());
    }

    /// <inheritdoc />
    protected override void Deserialize(IXunitSerializationInfo info)
    {
        base.Deserialize(info);
        Plan = RobustnessCasePlan.FromJson(info.GetValue<string>("dflare.plan"));
    }

    /// <inheritdoc />
    protected override void OnError(string message) =>
        RobustnessCaseRunner.RecordError(TestMethod.TestClass.Class, TestMethod.Method, Plan, message);

    /// <inheritdoc />
    protected override Task<(object Outcome, CaseFailureReport? Failure)> Check(CancellationToken cancellation)
    {
        var settings = Plan.Check ?? throw new DflareException("The case's configuration is wrong; it has no check to run.");
        var outcome = RobustnessCaseRunner.Run(settings, cancellation);
        RobustnessCaseRunner.Record(TestMethod.TestClass.Class, TestMethod.Method, Plan, outcome);
        return Task.FromResult<(object, CaseFailureReport?)>((outcome, outcome.Passed ? null : new CaseFailureReport(outcome.Message, [])));
    }
}
