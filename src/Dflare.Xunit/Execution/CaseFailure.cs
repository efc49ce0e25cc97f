using System.ComponentModel;
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

    private static void Attach(IReadOnlyList<CaseAttachment> attachments)
    {
        foreach (var a in attachments)
            TestContext.Current.AddAttachment(a.Name, a.Content, true, a.MediaType);
    }
}
