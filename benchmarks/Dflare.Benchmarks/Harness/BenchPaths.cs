namespace Dflare.Benchmarks.Harness;

/// <summary>Raised when a model or data file the figure needs is not there; the message names the missing path.</summary>
internal sealed class MissingDataException(string message) : Exception(message);

/// <summary>Where the harness finds the repository, the shared models and data, its cache and the demo pair.</summary>
internal static class BenchPaths
{
    /// <summary>The repository root (the folder holding <c>Dflare.Testing.sln</c>), searched from the working folder, then from the binary.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shared folder: <c>$DFLARE_SHARED</c>, else <c>../shared</c> beside the repository root.</summary>
    public static string Shared { get; } = Environment.GetEnvironmentVariable("DFLARE_SHARED") is { Length: > 0 } env
        ? Path.GetFullPath(env)
        : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>Compressed variants made at harness start: <c>$DFLARE_BENCH_CACHE</c>, else <c>benchmarks/.cache</c> (git-ignored).</summary>
    public static string Cache { get; } = Environment.GetEnvironmentVariable("DFLARE_BENCH_CACHE") is { Length: > 0 } c
        ? Path.GetFullPath(c)
        : Path.Combine(RepoRoot, "benchmarks", ".cache");

    /// <summary>The demo pair and its 100 seeds, copied beside the binary from <c>src/Dflare.Cli/Demo</c>.</summary>
    public static string Demo { get; } = Path.Combine(AppContext.BaseDirectory, "Demo");

    /// <summary>Default results folder: <c>benchmarks/results</c>.</summary>
    public static string Results => Path.Combine(RepoRoot, "benchmarks", "results");

    /// <summary>The full path of a file under the shared folder; throws <see cref="MissingDataException"/> naming it when absent.</summary>
    public static string RequireShared(string relative)
    {
        var p = Path.Combine(Shared, relative);
        if (!File.Exists(p)) throw new MissingDataException($"shared model/data not found: {p} (set DFLARE_SHARED or put the shared folder beside the repository)");
        return p;
    }

    /// <summary>A file that must exist (e.g. a system dataset); throws <see cref="MissingDataException"/> naming it.</summary>
    public static string RequireFile(string path, string hint)
    {
        if (!File.Exists(path)) throw new MissingDataException($"not found: {path} ({hint})");
        return path;
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            var dir = new DirectoryInfo(start);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dflare.Testing.sln"))) dir = dir.Parent;
            if (dir is not null) return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
