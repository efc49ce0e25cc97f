namespace Dflare.Gate.Tests;

/// <summary>The four packages packed into a local folder, and a nuget.config for this machine's offline packages.</summary>
public static class PackedFeed
{
    /// <summary>Packs Dflare.Core, Dflare.Testing, Dflare.Cli and Dflare.Templates (built with this test project) into <paramref name="feed"/>; returns the version.</summary>
    public static string Pack(Shell shell, string feed, ITestOutputHelper log)
    {
        Directory.CreateDirectory(feed);
        var configuration = AppContext.BaseDirectory.Replace('\\', '/').Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        foreach (var p in new[] { "src/Dflare.Core", "src/Dflare.Xunit", "src/Dflare.Cli", "templates/Dflare.Templates" })
        {
            var r = shell.Dotnet(SharedData.RepoRoot, "pack", Path.Combine(SharedData.RepoRoot, p), "-c", configuration, "--no-build", "-o", feed, "-nologo");
            log.WriteLine(r.ToString());
            r.ExitCode.Should().Be(0, r.ToString());
        }
        return "0.1.0";
    }

    /// <summary>
    /// A nuget.config with nuget.org and this machine's package folder without any Dflare package as a read-only
    /// fallback (third-party packages need not be downloaded again; a Dflare package from an earlier try never shadows
    /// the fresh pack). The Dflare feed is not in it.
    /// </summary>
    public static string OfflineConfig(string root)
    {
        var machine = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } np ? np
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var curated = Path.Combine(root, "fallback");
        Directory.CreateDirectory(curated);
        if (Directory.Exists(machine))
            foreach (var d in Directory.GetDirectories(machine))
                if (!Path.GetFileName(d).StartsWith("dflare.", StringComparison.OrdinalIgnoreCase))
                    Directory.CreateSymbolicLink(Path.Combine(curated, Path.GetFileName(d)), d);
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{curated}" />
              </fallbackPackageFolders>
            </configuration>
            """;
    }
}
