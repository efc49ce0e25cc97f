using System.Text.RegularExpressions;

namespace Dflare;

/// <summary>
/// A <see cref="DflareException"/> about settings: the message names each of <see cref="Settings"/> as the library
/// calls it (a property such as <c>Budget</c> or <c>DiffChaser.Population</c>), which is also what an attribute user
/// writes. A front end that calls them otherwise (the CLI's flags) rephrases the message with <see cref="Rename"/>.
/// </summary>
public sealed class SettingException : DflareException
{
    /// <summary>Creates the exception; <paramref name="message"/> names every one of <paramref name="settings"/>.</summary>
    /// <param name="message">The message, fit to show a user of the library.</param>
    /// <param name="settings">The settings it names, as they stand in it.</param>
    public SettingException(string message, params string[] settings) : base(message) => Settings = settings;

    /// <summary>The settings the message names, as they stand in it (e.g. <c>Budget</c>).</summary>
    public IReadOnlyList<string> Settings { get; }

    /// <summary>
    /// The message with every named setting called what <paramref name="rename"/> returns for it (e.g. <c>--budget</c>
    /// for <c>Budget</c>); a setting for which it returns null keeps its name. Only whole names are replaced.
    /// </summary>
    public string Rename(Func<string, string?> rename)
    {
        var message = Message;
        foreach (var setting in Settings)
            if (rename(setting) is { } other)
                message = Regex.Replace(message, $@"(?<![\w.-]){Regex.Escape(setting)}(?!\w)", other.Replace("$", "$$", StringComparison.Ordinal));
        return message;
    }
}
