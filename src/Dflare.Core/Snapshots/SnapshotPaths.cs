using System.Text;

namespace Dflare.Snapshots;

/// <summary>
/// The files of one snapshot, following Verify's conventions: <c>{Directory}/{Class}.{Method}.{Case}.verified.png</c>
/// and <c>.verified.json</c>, with <c>.received.</c> in place of <c>.verified.</c> for new output, plus a
/// <c>.received.composite.png</c> (seed | triggering input | difference) for review.
/// </summary>
public sealed class SnapshotPaths
{
    /// <summary>Creates the paths for <paramref name="baseName"/> inside <paramref name="directory"/>.</summary>
    public SnapshotPaths(string directory, string baseName)
    {
        if (string.IsNullOrWhiteSpace(baseName)) throw new ArgumentException("A snapshot needs a name.", nameof(baseName));
        Directory = directory;
        BaseName = baseName;
    }

    /// <summary>Builds the Verify-style name <c>{Class}.{Method}.{Case}</c> with unsafe characters replaced.</summary>
    public static SnapshotPaths For(string directory, string testClass, string testMethod, string? testCase) =>
        new(directory, string.Join('.', new[] { testClass, testMethod, testCase }.Where(p => !string.IsNullOrEmpty(p)).Select(p => Sanitize(p!))));

    /// <summary>The snapshot of one seed of a check: <c>{name}.seed={id}</c> (each dotted part of <paramref name="name"/> sanitized).</summary>
    public static SnapshotPaths ForSeed(string directory, string name, string seedId) =>
        new(directory, string.Join('.', name.Split('.', StringSplitOptions.RemoveEmptyEntries).Select(Sanitize)) + "." + Sanitize($"seed={seedId}"));

    /// <summary>Replaces characters that are unsafe in file names (and dots inside a part) with <c>_</c>.</summary>
    public static string Sanitize(string part)
    {
        var sb = new StringBuilder(part.Length);
        foreach (var ch in part)
            sb.Append(char.IsLetterOrDigit(ch) || ch is '-' or '_' or '=' or '+' ? ch : '_');
        return sb.ToString().Trim('_') is { Length: > 0 } s ? s : "_";
    }

    /// <summary>The folder holding the files.</summary>
    public string Directory { get; }
    /// <summary>The shared file-name prefix.</summary>
    public string BaseName { get; }
    /// <summary>The accepted triggering image.</summary>
    public string VerifiedImage => Path.Combine(Directory, BaseName + ".verified.png");
    /// <summary>The accepted facts.</summary>
    public string VerifiedJson => Path.Combine(Directory, BaseName + ".verified.json");
    /// <summary>A newly found triggering image awaiting review.</summary>
    public string ReceivedImage => Path.Combine(Directory, BaseName + ".received.png");
    /// <summary>The facts of a newly found deviation awaiting review.</summary>
    public string ReceivedJson => Path.Combine(Directory, BaseName + ".received.json");
    /// <summary>The review picture: seed | triggering input | amplified difference, with both labels.</summary>
    public string ReceivedComposite => Path.Combine(Directory, BaseName + ".received.composite.png");

    /// <summary>True when an accepted snapshot exists.</summary>
    public bool HasVerified => File.Exists(VerifiedImage) || File.Exists(VerifiedJson);

    /// <summary>Deletes any received files of this snapshot.</summary>
    public void DeleteReceived()
    {
        foreach (var f in new[] { ReceivedImage, ReceivedJson, ReceivedComposite })
            if (File.Exists(f)) File.Delete(f);
    }

    /// <summary>Deletes the verified files of this snapshot.</summary>
    public void DeleteVerified()
    {
        foreach (var f in new[] { VerifiedImage, VerifiedJson })
            if (File.Exists(f)) File.Delete(f);
    }
}
