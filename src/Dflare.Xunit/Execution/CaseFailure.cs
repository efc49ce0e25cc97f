using System.ComponentModel;
using System.Reflection;
using Xunit;
using Xunit.Sdk;

namespace Dflare.Xunit.Execution;

/// <summary>A file to attach to the test result.</summary>
/// <param name="Name">Attachment name (e.g. <c>seed-17.composite.png</c>).</param>
/// <param name="Content">The bytes.</param>
/// <param name="MediaType">MIME type.</param>
public sealed record CaseAttachment(string Name, byte[] Content, string MediaType);

/// <summary>A failure to report from inside a test (message and attachments).</summary>
/// <param name="Message">The failure message.</param>
/// <param name="Attachments">Files for the test result.</param>
public sealed record CaseFailureReport(string Message, IReadOnlyList<CaseAttachment> Attachments)
{
    /// <inheritdoc />
    public override string ToString() => "failure";
}

/// <summary>An explicit case whose search runs only when the test is really run.</summary>
public sealed class DeferredCase
{
    internal DeferredCase(DflareTestCase testCase) => TestCase = testCase;
    internal DflareTestCase TestCase { get; }
    /// <inheritdoc />
    public override string ToString() => "deferred";
}

/// <summary>
/// Methods the Dflare test cases invoke in place of the user's test method, inside the test, so that messages and
/// attachments reach the test result. Not meant to be called directly.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CaseFailure
{
    /// <summary>Attaches the review files and fails the test with the message.</summary>
    public static void Fail(CaseFailureReport report)
    {
        Attach(report.Attachments);
        throw new DflareFailure(report.Message);
    }

    /// <summary>Runs an explicit case's search now; fails like <see cref="Fail"/>, or runs the test method when it passes.</summary>
    public static async Task RunDeferred(DeferredCase deferred)
    {
        var tc = deferred.TestCase;
        var (outcome, failure) = await tc.Execute(TestContext.Current.CancellationToken);
        if (failure is not null) Fail(failure);
        // The user's method needs an instance of its class: explicit deviation tests need a parameterless constructor.
        var type = tc.TestMethod.TestClass.Class;
        var method = tc.TestMethod.Method;
        object? instance = method.IsStatic ? null : Activator.CreateInstance(type);
        try
        {
            var args = tc.ArgumentsFor(method, outcome);
            var ret = method.Invoke(instance, args);
            if (ret is Task t) await t;
            else if (ret is ValueTask vt) await vt;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
        finally
        {
            if (instance is IAsyncDisposable ad) await ad.DisposeAsync();
            else if (instance is IDisposable d) d.Dispose();
        }
    }

    private static void Attach(IReadOnlyList<CaseAttachment> attachments)
    {
        foreach (var a in attachments)
            TestContext.Current.AddAttachment(a.Name, a.Content, true, a.MediaType);
    }
}
