using System.ComponentModel;
using System.Reflection;
using Xunit;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>
/// One deviation-search test case (one seed, or a whole pair). The search runs when the case's tests are created;
/// a passing case then invokes the test method (with the <see cref="DeviationOutcome"/> when it takes one), a failing
/// case reports through <see cref="CaseFailure.Fail"/> so the message and the review pictures reach the test result.
/// Explicit cases search only when they are really run.
/// </summary>
public sealed class DeviationTestCase : XunitTestCase
{
    /// <summary>For the de-serializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public DeviationTestCase() { }

    /// <summary>Creates a case for the seed at <paramref name="seedPosition"/> (−1: every seed of the pair).</summary>
    public DeviationTestCase(int seedPosition, string? seedId, string? configurationError,
        IXunitTestMethod testMethod, string displayName, string uniqueID, bool @explicit,
        Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(testMethod, displayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen,
               traits, testMethodArguments: null, sourceFilePath, sourceLineNumber, timeout)
    {
        SeedPosition = seedPosition;
        SeedId = seedId;
        ConfigurationError = configurationError;
    }

    /// <summary>Position of the seed in its source (−1 for a per-pair case).</summary>
    public int SeedPosition { get; private set; } = -1;
    /// <summary>Id of the seed (null for a per-pair case).</summary>
    public string? SeedId { get; private set; }
    /// <summary>A configuration problem found at discovery, reported when the case runs.</summary>
    public string? ConfigurationError { get; private set; }

    /// <inheritdoc />
    protected override void Serialize(IXunitSerializationInfo info)
    {
        base.Serialize(info);
        info.AddValue("dflare.pos", SeedPosition);
        info.AddValue("dflare.id", SeedId);
        info.AddValue("dflare.err", ConfigurationError);
    }

    /// <inheritdoc />
    protected override void Deserialize(IXunitSerializationInfo info)
    {
        base.Deserialize(info);
        SeedPosition = info.GetValue<int>("dflare.pos");
        SeedId = info.GetValue<string>("dflare.id");
        ConfigurationError = info.GetValue<string>("dflare.err");
    }

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyCollection<IXunitTest>> CreateTests()
    {
        if (SkipReason is not null || SkipUnless is not null || SkipWhen is not null)
            return [UserTest(null)];
        if (Explicit)
            return [Redirect(nameof(CaseFailure.RunDeferred), new DeferredCase(this))];
        var (outcome, failure) = await Execute(TestContext.Current.CancellationToken).ConfigureAwait(false);
        return failure is not null ? [Redirect(nameof(CaseFailure.Fail), failure)] : [UserTest(outcome)];
    }

    internal async Task<(DeviationOutcome? Outcome, CaseFailureReport? Failure)> Execute(CancellationToken cancellation)
    {
        var attr = TestMethod.Method.GetCustomAttribute<DeviationSearchAttribute>()
            ?? throw new InvalidOperationException($"{TestMethod.MethodName} has no [DeviationSearch] attribute.");
        if (ConfigurationError is not null)
            return (null, new CaseFailureReport($"Dflare configuration error: {ConfigurationError}", []));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (Timeout > 0) cts.CancelAfter(Timeout);
        try
        {
            var run = Task.Run(() => DeviationCaseRunner.Run(attr, TestMethod.TestClass.Class, TestMethod.Method,
                SeedPosition, cts.Token), CancellationToken.None);
            var result = await run.ConfigureAwait(false);
            if (Timeout > 0 && cts.IsCancellationRequested && !cancellation.IsCancellationRequested)
                return (null, new CaseFailureReport($"Test execution timed out after {Timeout} milliseconds (the deviation search was stopped).", []));
            return result.Outcome.Passed ? (result.Outcome, null) : (result.Outcome, new CaseFailureReport(result.Outcome.Message, result.Attachments));
        }
        catch (DflareException e)
        {
            return (null, new CaseFailureReport($"Dflare configuration error: {e.Message}", []));
        }
    }

    private XunitTest UserTest(DeviationOutcome? outcome)
    {
        var args = TestMethod.Parameters.Count switch
        {
            0 => Array.Empty<object?>(),
            1 when TestMethod.Parameters.First().ParameterType == typeof(DeviationOutcome) => [outcome],
            _ => throw new InvalidOperationException($"A [DeviationSearch] method takes no parameters or one {nameof(DeviationOutcome)}; {TestMethod.MethodName} takes {TestMethod.Parameters.Count}."),
        };
        return NewTest(TestMethod, args);
    }

    private XunitTest Redirect(string method, object argument)
    {
        var m = typeof(CaseFailure).GetMethod(method, BindingFlags.Public | BindingFlags.Static)!;
        var tm = new XunitTestMethod(TestMethod.TestClass, m, [], TestMethod.UniqueID + "|" + method);
        return NewTest(tm, [argument]);
    }

    private XunitTest NewTest(IXunitTestMethod method, object?[] args) =>
        new(this, method, Explicit, SkipReason, SkipType, SkipUnless, SkipWhen, TestCaseDisplayName, 0,
            Traits.ToDictionary(kv => kv.Key, kv => (IReadOnlyCollection<string>)kv.Value.ToArray()), Timeout, args,
            testLabel: null, disableParallelization: false);
}
