namespace Dflare.Snapshots;

/// <summary>One file promoted (or removed) by <see cref="SnapshotAcceptor"/>.</summary>
/// <param name="Received">The received file.</param>
/// <param name="Verified">Where it went, or null when it was a review-only file that was removed.</param>
public sealed record AcceptedFile(string Received, string? Verified);

/// <summary>Promotes <c>*.received.*</c> snapshot files to <c>*.verified.*</c> (one rename each, in the same folder).</summary>
public static class SnapshotAcceptor
{
    /// <summary>
    /// Accepts every received snapshot under <paramref name="directory"/> (recursively, skipping bin/obj): <c>X.received.png</c> →
    /// <c>X.verified.png</c>, <c>X.received.json</c> → <c>X.verified.json</c>; review-only files such as
    /// <c>X.received.composite.png</c> are removed.
    /// </summary>
    /// <exception cref="DflareException">The folder does not exist.</exception>
    public static IReadOnlyList<AcceptedFile> AcceptAll(string directory)
    {
        if (!Directory.Exists(directory)) throw new DflareException($"Snapshot folder '{directory}' does not exist.");
        var done = new List<AcceptedFile>();
        foreach (var file in FindReceived(directory))
        {
            var name = Path.GetFileName(file);
            int at = name.LastIndexOf(".received.", StringComparison.Ordinal);
            var rest = name[(at + ".received.".Length)..];
            if (rest.Contains('.'))
            {
                File.Delete(file);
                done.Add(new AcceptedFile(file, null));
                continue;
            }
            var target = Path.Combine(Path.GetDirectoryName(file)!, name[..at] + ".verified." + rest);
            File.Move(file, target, overwrite: true);
            done.Add(new AcceptedFile(file, target));
        }
        return done;
    }

    /// <summary>Lists the received snapshot files under <paramref name="directory"/> (skipping bin/obj), in ordinal order.</summary>
    public static IReadOnlyList<string> FindReceived(string directory) =>
        Directory.EnumerateFiles(directory, "*.received.*", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(directory, f)))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();

    private static bool IsBuildOutput(string relative) =>
        relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj");
}
