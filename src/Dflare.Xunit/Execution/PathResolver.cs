namespace Dflare.Xunit.Execution;

/// <summary>Resolves a path from an attribute: absolute, or relative to the output folder, or to the test source folder (and its parents up to the project).</summary>
internal static class PathResolver
{
    public static string Resolve(string path, string what, string baseDir, string? sourceDir)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new DflareException($"No {what} path given.");
        if (Path.IsPathRooted(path))
            return File.Exists(path) || Directory.Exists(path) ? path : throw new MissingInputException($"The {what} '{path}' does not exist.");
        var tried = new List<string>();
        foreach (var dir in Candidates(baseDir, sourceDir))
        {
            var p = Path.GetFullPath(Path.Combine(dir, path));
            if (File.Exists(p) || Directory.Exists(p)) return p;
            tried.Add(p);
        }
        throw new MissingInputException($"The {what} '{path}' does not exist (looked for {string.Join(", ", tried.Distinct())}).");
    }

    /// <summary>Resolves <paramref name="path"/> as written in an attribute declared in <paramref name="sourceFile"/>.</summary>
    public static string ForAttribute(string path, string what, string? sourceFile) =>
        Resolve(path, what, AppContext.BaseDirectory, sourceFile is { } f ? Path.GetDirectoryName(f) : null);

    private static IEnumerable<string> Candidates(string baseDir, string? sourceDir)
    {
        yield return baseDir;
        if (sourceDir is null || !Directory.Exists(sourceDir)) yield break;
        for (var d = new DirectoryInfo(sourceDir); d is not null; d = d.Parent)
        {
            yield return d.FullName;
            if (d.EnumerateFiles("*.csproj").Any()) yield break;
        }
    }
}

/// <summary>A model or seed path named by an attribute does not exist.</summary>
internal sealed class MissingInputException(string message) : DflareException(message);
