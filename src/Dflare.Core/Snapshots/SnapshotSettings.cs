namespace Dflare.Snapshots;

/// <summary>Snapshot settings from the environment.</summary>
public static class SnapshotSettings
{
    /// <summary>
    /// True when <c>DFLARE_ACCEPT</c> (or <c>DflareAcceptSnapshots</c>) is set to true/1/yes: accept what is found
    /// (never on CI). An empty or unset variable is false.
    /// </summary>
    /// <exception cref="DflareException">A variable is set to something other than true/false/1/0/yes/no.</exception>
    public static bool AcceptFromEnvironment()
    {
        static bool Read(string name) =>
            Environment.GetEnvironmentVariable(name) is { } v && !string.IsNullOrWhiteSpace(v) && ParseBool(v.Trim(), name);
        return Read("DFLARE_ACCEPT") || Read("DflareAcceptSnapshots");
    }

    /// <summary>
    /// The one reading of a boolean setting (environment variable or MSBuild property): true/1/yes or false/0/no, in
    /// any case.
    /// </summary>
    /// <param name="text">The value, trimmed.</param>
    /// <param name="setting">The setting's name, for the message.</param>
    /// <exception cref="DflareException">Any other value.</exception>
    public static bool ParseBool(string text, string setting) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new DflareException($"{setting} '{text}' must be true or false."),
    };
}
