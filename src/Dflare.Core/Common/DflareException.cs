namespace Dflare;

/// <summary>
/// An error caused by the user's input (a model, an image, a seed source, an option) rather than by a bug.
/// The message names the file or option and the problem, and is meant to be shown as it is.
/// </summary>
public class DflareException : Exception
{
    /// <summary>Creates the exception with a message fit to show a user.</summary>
    public DflareException(string message) : base(message) { }

    /// <summary>Creates the exception with a message fit to show a user and the underlying cause.</summary>
    public DflareException(string message, Exception inner) : base(message, inner) { }
}
