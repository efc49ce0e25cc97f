using Dflare.Images;

namespace Dflare.Snapshots;

/// <summary>What a snapshot check concluded.</summary>
public enum SnapshotOutcome
{
    /// <summary>No deviation was found and none is verified: pass.</summary>
    NoDeviation,
    /// <summary>The deviation found equals the verified one (same seed and labels, pixels within tolerance): pass.</summary>
    KnownDeviation,
    /// <summary>A deviation was found and nothing is verified: fail, received files written.</summary>
    NewDeviation,
    /// <summary>A deviation was found but differs from the verified one: fail, received files written.</summary>
    Mismatch,
    /// <summary>A deviation is verified but no longer found: fail until the snapshot is deleted.</summary>
    DeviationGone,
    /// <summary>Accept mode promoted the new result to verified: pass.</summary>
    Accepted,
}

/// <summary>The verdict of one snapshot check.</summary>
/// <param name="Outcome">What was concluded.</param>
/// <param name="Message">A plain-words explanation (the failure message when <see cref="Passed"/> is false).</param>
/// <param name="Paths">The snapshot's files.</param>
public sealed record SnapshotVerdict(SnapshotOutcome Outcome, string Message, SnapshotPaths Paths)
{
    /// <summary>True for outcomes that pass a test.</summary>
    public bool Passed => Outcome is SnapshotOutcome.NoDeviation or SnapshotOutcome.KnownDeviation or SnapshotOutcome.Accepted;
}

/// <summary>Settings of snapshot checks.</summary>
public sealed record SnapshotSettings
{
    /// <summary>Largest per-value pixel difference (grey levels) still counted as equal.</summary>
    public int PixelTolerance { get; init; }
    /// <summary>Promote new results to verified instead of failing (ignored on CI).</summary>
    public bool AcceptAll { get; init; }
    /// <summary>True on a build server: never auto-accept.</summary>
    public bool IsCi { get; init; } = CiEnvironment.IsCi;

    /// <summary>
    /// Settings from the environment: <c>DFLARE_ACCEPT</c> (or <c>DflareAcceptSnapshots</c>) = true/1 turns on accept-all,
    /// <c>DFLARE_PIXEL_TOLERANCE</c> sets the tolerance.
    /// </summary>
    public static SnapshotSettings FromEnvironment()
    {
        static bool Truthy(string? v) => v is not null && (v.Equals("true", StringComparison.OrdinalIgnoreCase) || v == "1" || v.Equals("yes", StringComparison.OrdinalIgnoreCase));
        var tol = Environment.GetEnvironmentVariable("DFLARE_PIXEL_TOLERANCE");
        return new SnapshotSettings
        {
            AcceptAll = Truthy(Environment.GetEnvironmentVariable("DFLARE_ACCEPT")) || Truthy(Environment.GetEnvironmentVariable("DflareAcceptSnapshots")),
            PixelTolerance = int.TryParse(tol, out var t) && t >= 0 ? t : 0,
        };
    }
}

/// <summary>
/// Compares a search's outcome with the verified snapshot, Verify-style: a new or changed deviation writes
/// <c>.received.*</c> files (atomically) and fails; an equal one passes and removes stale received files.
/// </summary>
public static class SnapshotVerifier
{
    /// <summary>How to accept received snapshots, for messages.</summary>
    public const string HowToAccept =
        "To accept: run `dflare accept <folder>` (or `dflare accept` in the test project), or run the tests once with DFLARE_ACCEPT=1 " +
        "(`dotnet test -p:DflareAcceptSnapshots=true`) on a developer machine; accept never happens when CI is set.";

    /// <summary>
    /// Checks one case. <paramref name="found"/> and <paramref name="image"/> describe the deviation the search found
    /// (both null when none was found); <paramref name="composite"/> is the review picture written beside received files.
    /// </summary>
    public static SnapshotVerdict Verify(SnapshotPaths paths, DeviationSnapshot? found, Image? image, Image? composite, SnapshotSettings settings)
    {
        if ((found is null) != (image is null)) throw new ArgumentException("A found deviation needs both its facts and its image.");
        bool accept = settings.AcceptAll && !settings.IsCi;
        if (found is null)
        {
            paths.DeleteReceived();
            if (!paths.HasVerified) return new(SnapshotOutcome.NoDeviation, "No deviation found and none is verified.", paths);
            var old = File.Exists(paths.VerifiedJson) ? DeviationSnapshot.Read(paths.VerifiedJson) : null;
            if (accept)
            {
                paths.DeleteVerified();
                return new(SnapshotOutcome.Accepted, $"The verified deviation{(old is null ? "" : $" ({old.Describe()})")} is no longer found; accept mode deleted its snapshot.", paths);
            }
            return new(SnapshotOutcome.DeviationGone,
                $"The verified deviation{(old is null ? "" : $" ({old.Describe()})")} is no longer found: the compressed model no longer deviates there within the budget. " +
                $"If that is a fix, acknowledge it by deleting {paths.VerifiedImage} and {paths.VerifiedJson}.", paths);
        }

        string? mismatch = null;
        if (paths.HasVerified)
        {
            mismatch = CompareWithVerified(paths, found, image!, settings.PixelTolerance);
            if (mismatch is null)
            {
                paths.DeleteReceived();
                return new(SnapshotOutcome.KnownDeviation, $"Known, accepted deviation: {found.Describe()}.", paths);
            }
        }

        Directory.CreateDirectory(paths.Directory);
        image!.SavePng(paths.ReceivedImage);
        AtomicFile.WriteAllText(paths.ReceivedJson, found.ToJson());
        if (composite is not null) composite.SavePng(paths.ReceivedComposite);

        if (accept)
        {
            File.Move(paths.ReceivedImage, paths.VerifiedImage, overwrite: true);
            File.Move(paths.ReceivedJson, paths.VerifiedJson, overwrite: true);
            if (File.Exists(paths.ReceivedComposite)) File.Delete(paths.ReceivedComposite);
            return new(SnapshotOutcome.Accepted, $"Accepted as verified: {found.Describe()}.", paths);
        }

        var facts = $"{found.Describe()}; {found.Queries} queries used; L∞ {found.LInf:F0}, L2 {found.L2:F1} pixel levels from the seed.";
        var files = $"Received files: {paths.ReceivedImage}, {paths.ReceivedJson}" + (composite is null ? "." : $", review picture {paths.ReceivedComposite}.");
        return mismatch is null
            ? new(SnapshotOutcome.NewDeviation, $"The compressed model deviates from the original: {facts}\n{files}\n{HowToAccept}", paths)
            : new(SnapshotOutcome.Mismatch, $"The deviation found differs from the verified snapshot ({mismatch}): {facts}\n{files}\n{HowToAccept}", paths);
    }

    private static string? CompareWithVerified(SnapshotPaths paths, DeviationSnapshot found, Image image, int tolerance)
    {
        if (!File.Exists(paths.VerifiedJson)) return $"{paths.VerifiedJson} is missing";
        if (!File.Exists(paths.VerifiedImage)) return $"{paths.VerifiedImage} is missing";
        var v = DeviationSnapshot.Read(paths.VerifiedJson);
        if (v.SeedId != found.SeedId) return $"verified seed {v.SeedId}, found seed {found.SeedId}";
        if (v.OriginalLabel != found.OriginalLabel || v.CompressedLabel != found.CompressedLabel)
            return $"verified labels {v.OriginalLabel}→{v.CompressedLabel}, found {found.OriginalLabel}→{found.CompressedLabel}";
        var verifiedImage = Image.Load(paths.VerifiedImage);
        var cmp = PixelComparison.Compare(verifiedImage, image, tolerance);
        return cmp.Equal ? null : $"the triggering image differs: {cmp.Description}";
    }
}
