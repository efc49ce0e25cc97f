using Xunit.Sdk;

namespace Dflare.Xunit;

/// <summary>
/// The failure of a Dflare test case (a deviation or robustness verdict, or a case that could not run): the message
/// says everything (the file or setting, the problem, what to do). Its stack trace would only show Dflare's plumbing
/// and reflection, so none is reported.
/// </summary>
public sealed class DflareFailure : XunitException
{
    /// <summary>Creates the failure with its message.</summary>
    public DflareFailure(string message) : base(message) { }

    /// <inheritdoc />
    public override string? StackTrace => null;
}
