namespace Dflare.Cli.Commands;

/// <summary>
/// Checks, before any work, that an output can be written (so that a long search never ends in "cannot write"), and
/// keeps results in a temporary folder when writing still fails after the work.
/// </summary>
internal static class OutputLocation
{
    /// <summary>
    /// Checks that <paramref name="folder"/> (given by <paramref name="option"/>) is, or can be made, a folder this
    /// process can write into: it is created when missing and a probe file is written and deleted in it.
    /// </summary>
    /// <exception cref="DflareException">It is a file, cannot be created, or cannot be written into.</exception>
    public static void CheckFolder(string folder, string option)
    {
        if (File.Exists(folder))
            throw new DflareException($"{option} '{folder}' is an existing file; give a folder (it is created when missing).");
        if (FileAbove(folder) is { } file)
            throw new DflareException($"{option} '{folder}' cannot be created: '{file}' is a file, not a folder.");
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DflareException($"{option} '{folder}' cannot be created: {CommandRunner.Clean(e.Message)}", e); }
        Probe(folder, $"{option} '{folder}'");
    }

    /// <summary>
    /// Like <see cref="CheckFolder"/>, but creates nothing: an existing <paramref name="folder"/> is probed, a missing
    /// one must be creatable in its nearest existing parent (for commands that check their inputs before writing).
    /// </summary>
    /// <exception cref="DflareException">It is a file, lies below a file, or it (or the parent it would be made in) cannot be written into.</exception>
    public static void CheckFolderBeforeCreating(string folder, string what)
    {
        var full = Path.GetFullPath(folder);
        if (File.Exists(full))
            throw new DflareException($"{what} '{folder}' is an existing file; give a folder (it is created when missing).");
        if (FileAbove(full) is { } file)
            throw new DflareException($"{what} '{folder}' cannot be created: '{file}' is a file, not a folder.");
        if (Directory.Exists(full)) { Probe(full, $"{what} '{folder}'"); return; }
        var parent = Path.GetDirectoryName(full);
        while (parent is not null && !Directory.Exists(parent)) parent = Path.GetDirectoryName(parent);
        if (parent is not null) Probe(parent, $"{what} '{folder}' cannot be created: its parent folder '{parent}'");
    }

    /// <summary>
    /// Checks that the file <paramref name="file"/> (given by <paramref name="option"/>) can be written: it is not a
    /// folder, its folder exists or can be created and can be written into, and an existing file is not immutable.
    /// </summary>
    /// <exception cref="DflareException">It cannot be written.</exception>
    public static void CheckFile(string file, string option)
    {
        if (Directory.Exists(file))
            throw new DflareException($"{option} '{file}' is a folder; give a file path.");
        var full = Path.GetFullPath(file);
        var folder = Path.GetDirectoryName(full)!;
        if ((File.Exists(folder) ? folder : FileAbove(folder)) is { } above)
            throw new DflareException($"{option} '{file}': '{above}' is a file, not a folder.");
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DflareException($"{option} '{file}': its folder cannot be created: {CommandRunner.Clean(e.Message)}", e); }
        Probe(folder, $"{option} '{file}': its folder '{folder}'");
        if (File.Exists(full))
        {
            // Replacing goes through a rename, which an immutable or append-only file refuses.
            try { using var _ = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            { throw new DflareException($"{option} '{file}' exists and cannot be replaced: {CommandRunner.Clean(e.Message)}", e); }
        }
    }

    /// <summary>The nearest existing ancestor of <paramref name="path"/> when it is a file (so nothing below it can be made).</summary>
    private static string? FileAbove(string path)
    {
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir)) return dir;
            if (Directory.Exists(dir)) return null;
        }
        return null;
    }

    private static void Probe(string folder, string what)
    {
        var probe = Path.Combine(folder, $".dflare-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DflareException($"{what} cannot be written into (permission denied: the folder is read-only or immutable).", e);
        }
        catch (IOException e)
        {
            throw new DflareException($"{what} cannot be written into: {CommandRunner.Clean(e.Message.Replace(Path.GetFileName(probe), "", StringComparison.Ordinal))}", e);
        }
    }

    /// <summary>
    /// A new folder under the temporary folder to keep results in when their destination failed after the work
    /// (<c>TMP/dflare-kept-COMMAND-TIME-ID</c>).
    /// </summary>
    public static string KeepFolder(string command)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"dflare-kept-{command}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Runs <paramref name="write"/> into <paramref name="destination"/>; when it fails with an I/O error, runs it
    /// again into a keep folder and throws an error that names both, so finished work is never lost.
    /// </summary>
    /// <returns>The destination written.</returns>
    /// <exception cref="DflareException">The destination could not be written (the results were kept elsewhere), or neither could.</exception>
    public static void WriteOrKeep(string command, string destination, Action<string> write)
    {
        try { write(destination); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string kept;
            try { kept = KeepFolder(command); write(kept); }
            catch (Exception e2) when (e2 is IOException or UnauthorizedAccessException)
            { throw new DflareException($"cannot write '{destination}' ({CommandRunner.Clean(e.Message)}), nor a copy in the temporary folder ({CommandRunner.Clean(e2.Message)}).", e); }
            throw new DflareException($"cannot write '{destination}': {CommandRunner.Clean(e.Message)}. The results are kept in '{kept}'.", e);
        }
    }
}
