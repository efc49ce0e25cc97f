namespace Dflare.Snapshots;

/// <summary>One file promoted (or removed) by <see cref="SnapshotAcceptor"/>.</summary>
/// <param name="Received">The received file.</param>
/// <param name="Verified">Where it went, or null when it was a review-only file that was removed.</param>
public sealed record AcceptedFile(string Received, string? Verified);

/// <summary>What <see cref="SnapshotAcceptor.AcceptAll"/> did.</summary>
/// <param name="Files">The files promoted or removed.</param>
/// <param name="Problems">Snapshots left as they were, each with the reason (an image without its facts, a damaged file, a failed rename).</param>
public sealed record AcceptResult(IReadOnlyList<AcceptedFile> Files, IReadOnlyList<string> Problems);

/// <summary>
/// Promotes received snapshots to verified ones, Verify-style (<c>X.received.png</c> → <c>X.verified.png</c>, in the same
/// folder), one snapshot at a time and as a unit: the image and its facts (<c>.png</c> + <c>.json</c>) are accepted
/// together or not at all.
/// </summary>
public static class SnapshotAcceptor
{
    private const string Received = ".received.";

    /// <summary>
    /// Accepts every received snapshot under <paramref name="directory"/> (recursively, skipping bin/obj). A snapshot
    /// needs both its <c>.received.png</c> and <c>.received.json</c> (the JSON must parse); the old verified pair is
    /// replaced by the new one, or, when a rename fails, restored. Review-only files such as
    /// <c>X.received.composite.png</c> of accepted snapshots are removed.
    /// </summary>
    /// <exception cref="DflareException">The folder does not exist.</exception>
    public static AcceptResult AcceptAll(string directory)
    {
        if (!Directory.Exists(directory)) throw new DflareException($"Snapshot folder '{directory}' does not exist.");
        var done = new List<AcceptedFile>();
        var problems = new List<string>();
        foreach (var group in FindReceived(directory).GroupBy(BaseOf, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var b = group.Key;
            string png = b + Received + "png", json = b + Received + "json";
            bool hasPng = File.Exists(png), hasJson = File.Exists(json);
            if (!hasPng && !hasJson) continue;
            if (hasPng != hasJson)
            {
                problems.Add(hasPng
                    ? $"{png} has no {Path.GetFileName(json)} beside it: not accepted (rerun the test to write both)."
                    : $"{json} has no {Path.GetFileName(png)} beside it: not accepted (rerun the test to write both).");
                continue;
            }
            try { DeviationSnapshot.Read(json); }
            catch (DflareException e) { problems.Add($"{e.Message} Not accepted."); continue; }
            if (Promote(b, problems) is { } files)
            {
                done.AddRange(files);
                foreach (var extra in group.Where(f => f != png && f != json && File.Exists(f)))
                {
                    try { File.Delete(extra); done.Add(new AcceptedFile(extra, null)); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { problems.Add($"{extra} could not be removed: {e.Message}"); }
                }
            }
        }
        return new AcceptResult(done, problems);
    }

    /// <summary>Lists the received snapshot files under <paramref name="directory"/> (skipping bin/obj), in ordinal order.</summary>
    public static IReadOnlyList<string> FindReceived(string directory) =>
        Directory.EnumerateFiles(directory, "*.received.*", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(directory, f)))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();

    /// <summary>Moves the received pair over the verified one; on failure puts everything back and returns null.</summary>
    private static List<AcceptedFile>? Promote(string b, List<string> problems)
    {
        var moves = new[] { (From: b + Received + "png", To: b + ".verified.png"), (From: b + Received + "json", To: b + ".verified.json") };
        var tag = Guid.NewGuid().ToString("N")[..8];
        var backups = new List<(string Original, string Backup)>();
        var moved = new List<(string From, string To)>();
        try
        {
            foreach (var (_, to) in moves)
                if (File.Exists(to))
                {
                    var bak = $"{to}.{tag}.bak";
                    File.Move(to, bak);
                    backups.Add((to, bak));
                }
            foreach (var m in moves)
            {
                File.Move(m.From, m.To);
                moved.Add(m);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var (from, to) in moved) TryMove(to, from);
            foreach (var (original, bak) in backups) TryMove(bak, original);
            problems.Add($"{b}{Received}png/json could not be accepted ({e.Message}); the verified snapshot is unchanged.");
            return null;
        }
        foreach (var (_, bak) in backups) TryDelete(bak);
        return moves.Select(m => new AcceptedFile(m.From, m.To)).ToList();
    }

    private static string BaseOf(string file) => file[..file.LastIndexOf(Received, StringComparison.Ordinal)];

    private static void TryMove(string from, string to)
    {
        try { if (File.Exists(from)) File.Move(from, to, overwrite: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static bool IsBuildOutput(string relative) =>
        relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj");
}
