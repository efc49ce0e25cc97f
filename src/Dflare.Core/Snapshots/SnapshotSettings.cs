namespace Dflare.Snapshots;

/// <summary>Snapshot settings from the environment.</summary>
public static class SnapshotSettings
{
    /// <summary>True when <c>DFLARE_ACCEPT</c> (or <c>DflareAcceptSnapshots</c>) is true/1/yes: accept what is found (never on CI).</summary>
    public static bool AcceptFromEnvironment()
    {
        static bool Truthy(string? v) => v is not null && (v.Equals("true", StringComparison.OrdinalIgnoreCase) || v == "1" || v.Equals("yes", StringComparison.OrdinalIgnoreCase));
        return Truthy(Environment.GetEnvironmentVariable("DFLARE_ACCEPT")) || Truthy(Environment.GetEnvironmentVariable("DflareAcceptSnapshots"));
    }
}
