using System.ComponentModel;
using System.Reflection;
using Xunit;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>
/// Base of the Dflare test cases. The check runs when the case's tests are created; a passing case then invokes the
/// test method (with the outcome when it takes one), a failing case reports through <see cref="CaseFailure.Fail"/> so
/// the message and the review pictures reach the test result. Skipped cases never run the check, and explicit cases
/// run it only when they are really run.
/// </summary>
public abstract class DflareTestCase : XunitTestCase
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
    internal object?[] ArgumentsFor(System.Reflection.MethodInfo method, object? outcome)
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

/// <summary>One deviation-search test case: one seed, or every seed of a pair.</summary>
public sealed class DeviationTestCase : DflareTestCase
{
    /// <summary>For the de-serializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public DeviationTestCase() { }

    /// <summary>
    /// Creates a case for the seed at <paramref name="seedPosition"/> (−1: every seed of the pair) of the pair and seeds
    /// in <paramref name="files"/> (null only with a configuration error).
    /// </summary>
    public DeviationTestCase(int seedPosition, string? seedId, CaseFiles? files, string? configurationError,
        IXunitTestMethod testMethod, string displayName, string uniqueID, bool @explicit,
        Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(configurationError, testMethod, displayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen,
               traits, sourceFilePath, sourceLineNumber, timeout)
    {
        SeedPosition = seedPosition;
        SeedId = seedId;
        Files = files;
    }

    /// <summary>The resolved model and seed files (null when the case has a configuration error instead).</summary>
    public CaseFiles? Files { get; private set; }

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
        info.AddValue("dflare.pos", SeedPosition);
        info.AddValue("dflare.id", SeedId);
        info.AddValue("dflare.original", Files?.Original);
        info.AddValue("dflare.compressed", Files?.Compressed);
        info.AddValue("dflare.seeds", Files?.SeedPath);
    }

    /// <inheritdoc />
    protected override void Deserialize(IXunitSerializationInfo info)
    {
        base.Deserialize(info);
        SeedPosition = info.GetValue<int>("dflare.pos");
        SeedId = info.GetValue<string>("dflare.id");
        Files = info.GetValue<string>("dflare.original") is { } o && info.GetValue<string>("dflare.compressed") is { } c && info.GetValue<string>("dflare.seeds") is { } s
            ? new CaseFiles(o, c, s) : null;
    }

    /// <inheritdoc />
    protected override void OnError(string message)
    {
        if (TestMethod.Method.GetCustomAttribute<DeviationSearchAttribute>() is { } attr)
            DeviationCaseRunner.RecordError(attr, TestMethod.TestClass.Class, TestMethod.Method, SeedPosition, SeedId, message);
    }

    /// <inheritdoc />
    protected override Task<(object Outcome, CaseFailureReport? Failure)> Check(CancellationToken cancellation)
    {
        var attr = TestMethod.Method.GetCustomAttribute<DeviationSearchAttribute>()
            ?? throw new InvalidOperationException($"{TestMethod.MethodName} has no [DeviationSearch] attribute.");
        var files = Files ?? throw new InvalidOperationException($"{TestMethod.MethodName}: the case carries no files.");
        var result = DeviationCaseRunner.Run(attr, files, TestMethod.TestClass.Class, TestMethod.Method, SeedPosition, cancellation);
        CaseFailureReport? failure = result.Outcome.Passed ? null : new CaseFailureReport(result.Outcome.Message, result.Attachments);
        return Task.FromResult<(object, CaseFailureReport?)>((result.Outcome, failure));
    }
}
