namespace Dflare.Tests;

/// <summary>
/// Finds the third-party models and data in <c>../shared</c> (or <c>$DFLARE_SHARED</c>). Tests that need a file call
/// <see cref="Require"/>, which skips the test, naming the missing path, when it is absent.
/// </summary>
public static class SharedData
{
    /// <summary>The shared folder: <c>$DFLARE_SHARED</c>, else <c>../shared</c> beside the repository root.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The repository root (the folder holding <c>Dflare.Testing.sln</c>).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dflare.Testing.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("DFLARE_SHARED");
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        return Path.GetFullPath(Path.Combine(FindRepoRoot(), "..", "shared"));
    }

    /// <summary>The full path of <paramref name="relative"/> under the shared folder; skips the test when it is missing.</summary>
    public static string Require(string relative)
    {
        var p = Path.Combine(Root, relative);
        if (!File.Exists(p) && !Directory.Exists(p))
            Assert.Skip($"Shared test data not found: {p} (set DFLARE_SHARED or put the shared folder beside the repository).");
        return p;
    }

    /// <summary>A path under the shared folder (not checked).</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative);
}
