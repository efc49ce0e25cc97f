using System.ComponentModel;
using System.Reflection;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>
/// Base of the Dflare test cases: a self-executing xunit.v3 case (<see cref="ISelfExecutingXunitTestCase"/>). When the
/// case will really run (not skipped, not an explicit case left out, no earlier fixture failure) it runs its check,
/// then hands one test to xunit.v3's own <see cref="XunitTestCaseRunner"/>: the user's test method with the outcome
/// (class and method fixtures and the constructor arguments as for any test), or, when the check fails, a test that
/// attaches the review pictures and fails with the message (<see cref="CaseFailure.Fail"/>).
/// </summary>
public abstract class DflareTestCase : XunitTestCase, ISelfExecutingXunitTestCase
{
    /// <summary>For the de-serializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    protected DflareTestCase() { }

    /// <summary>Creates the case.</summary>
    protected DflareTestCase(string? configurationError,
        IXunitTestMethod testMethod, string displayName, string uniqueID, bool @explicit,
        Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(testMethod, displayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen,
               traits, testMethodArguments: null, sourceFilePath, sourceLineNumber, timeout)
    {
        ConfigurationError = configurationError;
    }

    /// <summary>A configuration problem found at discovery, reported when the case runs.</summary>
    public string? ConfigurationError { get; private set; }

    /// <summary>The type of the outcome object a test method may take.</summary>
    protected abstract Type OutcomeType { get; }

    /// <summary>Runs the check; returns the outcome, and a failure report when the test must fail.</summary>
    protected abstract Task<(object Outcome, CaseFailureReport? Failure)> Check(CancellationToken cancellation);

    /// <summary>Called when the case cannot run (configuration error, exception, timeout), so it can appear in the report as an error.</summary>
    protected virtual void OnError(string message) { }

    /// <inheritdoc />
    protected override void Serialize(IXunitSerializationInfo info)
    {
        base.Serialize(info);
        info.AddValue("dflare.err", ConfigurationError);
    }

    /// <inheritdoc />
    protected override void Deserialize(IXunitSerializationInfo info)
    {
        base.Deserialize(info);
        ConfigurationError = info.GetValue<string>("dflare.err");
    }

    /// <summary>
    /// Runs the case (called by xunit.v3's test method runner): the check first when the test will run, then the one
    /// test through <see cref="XunitTestCaseRunner"/>, which reports it, skips it or leaves it out as for any test.
    /// </summary>
    public async ValueTask<RunSummary> Run(ExplicitOption explicitOption, IMessageBus messageBus, object?[] constructorArguments,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource, ParallelMode parallelMode,
        ExecutionScheduler scheduler, FixtureMappingManager methodFixtureMappings)
    {
        bool runs = !aggregator.HasExceptions && !cancellationTokenSource.IsCancellationRequested && WillRun(explicitOption);
        var tests = await TestsFor(runs, cancellationTokenSource.Token).ConfigureAwait(false);
        return await XunitTestCaseRunner.Instance.Run(this, tests, messageBus, aggregator, cancellationTokenSource, parallelMode, scheduler,
            TestCaseDisplayName, SkipReason, explicitOption, constructorArguments, methodFixtureMappings).ConfigureAwait(false);
    }

    /// <summary>
    /// The tests of the case for a runner that does not execute it itself (xunit.v3 calls <see cref="Run"/> instead):
    /// the check runs unless the case is skipped or explicit.
    /// </summary>
    public override ValueTask<IReadOnlyCollection<IXunitTest>> CreateTests() =>
        TestsFor(WillRun(ExplicitOption.Off), global::Xunit.TestContext.Current.CancellationToken);

    private async ValueTask<IReadOnlyCollection<IXunitTest>> TestsFor(bool runCheck, CancellationToken cancellation)
    {
        if (!runCheck) return [UserTest(null)];
        var (outcome, failure) = await Execute(cancellation).ConfigureAwait(false);
        return failure is not null ? [FailingTest(failure)] : [UserTest(outcome)];
    }

    /// <summary>
    /// True when xunit.v3 will run this case's test: not skipped (statically, or now by its <c>SkipUnless</c> /
    /// <c>SkipWhen</c> property), and explicit only when explicit tests run (non-explicit ones not with <c>--explicit only</c>).
    /// A skip property that cannot be read counts as skipping: xunit.v3 then reports the problem itself.
    /// </summary>
    internal bool WillRun(ExplicitOption explicitOption)
    {
        if (Explicit ? explicitOption == ExplicitOption.Off : explicitOption == ExplicitOption.Only) return false;
        if (SkipReason is null) return true;
        if (SkipUnless is null && SkipWhen is null) return false;
        var type = SkipType ?? TestMethod.TestClass.Class;
        bool? Read(string name) => type.GetProperty(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as bool?;
        if (SkipUnless is not null && Read(SkipUnless) is not true) return false;
        if (SkipWhen is not null && Read(SkipWhen) is not false) return false;
        return true;
    }

    internal async Task<(object? Outcome, CaseFailureReport? Failure)> Execute(CancellationToken cancellation)
    {
        (object? Outcome, CaseFailureReport? Failure) Error(string message)
        {
            OnError(message);
            return (null, new CaseFailureReport(message, []));
        }
        if (ConfigurationError is not null) return Error($"Dflare configuration error: {ConfigurationError}");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (Timeout > 0) cts.CancelAfter(Timeout);
        try
        {
            var (outcome, failure) = await Task.Run(() => Check(cts.Token), CancellationToken.None).ConfigureAwait(false);
            if (Timeout > 0 && cts.IsCancellationRequested && !cancellation.IsCancellationRequested)
                return Error($"Test execution timed out after {Timeout} milliseconds (the check was stopped).");
            return (outcome, failure);
        }
        catch (DflareException e)
        {
            return Error($"Dflare configuration error: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error($"Dflare error: {e.Message}");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            return Error($"Test execution timed out after {Timeout} milliseconds (the check was stopped).");
        }
    }

    /// <summary>The arguments for the user's test method: none, or the outcome.</summary>
    internal object?[] ArgumentsFor(MethodInfo method, object? outcome)
    {
        var ps = method.GetParameters();
        return ps.Length switch
        {
            0 => [],
            1 when ps[0].ParameterType.IsAssignableFrom(OutcomeType) => [outcome],
            _ => throw new InvalidOperationException($"A Dflare test method takes no parameters or one {OutcomeType.Name}; {method.Name} takes {ps.Length}."),
        };
    }

    private XunitTest UserTest(object? outcome) => NewTest(TestMethod, ArgumentsFor(TestMethod.Method, outcome));

    // The failure is reported from inside a test, so the message and the attachments reach the test result.
    private XunitTest FailingTest(CaseFailureReport failure)
    {
        var m = typeof(CaseFailure).GetMethod(nameof(CaseFailure.Fail), BindingFlags.Public | BindingFlags.Static)!;
        var tm = new XunitTestMethod(TestMethod.TestClass, m, [], TestMethod.UniqueID + "|" + nameof(CaseFailure.Fail));
        return NewTest(tm, [failure]);
    }

    private XunitTest NewTest(IXunitTestMethod method, object?[] args) =>
        new(this, method, Explicit, SkipReason, SkipType, SkipUnless, SkipWhen, TestCaseDisplayName, 0,
            Traits.ToDictionary(kv => kv.Key, kv => (IReadOnlyCollection<string>)kv.Value.ToArray()), Timeout, args,
            testLabel: null, disableParallelization: false);
}
