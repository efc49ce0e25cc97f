using System.ComponentModel;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>One deviation-search test case: one seed, or every seed of a pair. It runs from its <see cref="Plan"/> alone.</summary>
public sealed class DeviationTestCase : DflareTestCase
{
    /// <summary>For the de-serializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public DeviationTestCase() { }

    /// <summary>
    /// Creates a case for the seed at <paramref name="seedPosition"/> (−1: every seed of the pair) of
    /// <paramref name="plan"/> (whose check is null only with a configuration error).
    /// </summary>
    public DeviationTestCase(DeviationCasePlan plan, int seedPosition, string? seedId, string? configurationError,
        IXunitTestMethod testMethod, string displayName, string uniqueID, bool @explicit,
        Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(configurationError, testMethod, displayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen,
               traits, sourceFilePath, sourceLineNumber, timeout)
    {
        Plan = plan;
        SeedPosition = seedPosition;
        SeedId = seedId;
    }

    /// <summary>What the attribute asks for, resolved at discovery.</summary>
    public DeviationCasePlan Plan { get; private set; } = null!;

    /// <summary>Position of the seed in its source (−1 for a per-pair case).</summary>
    public int SeedPosition { get; private set; } = -1;
    /// <summary>Id of the seed (null for a per-pair case).</summary>
    public string? SeedId { get; private set; }

    /// <inheritdoc />
    protected override Type OutcomeType => typeof(DeviationOutcome);

    /// <inheritdoc />
    protected override void Serialize(IXunitSerializationInfo info)
    {
        base.Serialize(info);
        info.AddValue("dflare.plan", Plan.ToJson());
        info.AddValue("dflare.pos", SeedPosition);
        info.AddValue("dflare.id", SeedId);
    }

    /// <inheritdoc />
    protected override void Deserialize(IXunitSerializationInfo info)
    {
        base.Deserialize(info);
        Plan = DeviationCasePlan.FromJson(info.GetValue<string>("dflare.plan"));
        SeedPosition = info.GetValue<int>("dflare.pos");
        SeedId = info.GetValue<string>("dflare.id");
    }

    /// <inheritdoc />
    protected override void OnError(string message) =>
        DeviationCaseRunner.RecordError(Plan, TestMethod.TestClass.Class, TestMethod.Method, SeedPosition, SeedId, message);

    /// <inheritdoc />
    protected override Task<(object Outcome, CaseFailureReport? Failure)> Check(CancellationToken cancellation)
    {
        var result = DeviationCaseRunner.Run(Plan, TestMethod.TestClass.Class, TestMethod.Method, SeedPosition, cancellation);
        CaseFailureReport? failure = result.Outcome.Passed ? null : new CaseFailureReport(result.Outcome.Message, result.Attachments);
        return Task.FromResult<(object, CaseFailureReport?)>((result.Outcome, failure));
    }
}
