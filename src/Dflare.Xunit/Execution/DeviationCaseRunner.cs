using System.Reflection;
using System.Text;
using Dflare.Check;
using Dflare.Reports;
using Dflare.Snapshots;
using Dflare.Xunit.Reporting;

namespace Dflare.Xunit.Execution;

/// <summary>Runs one deviation case: the attribute and the run-wide settings become a <see cref="CheckSettings"/> for <see cref="DeviationCheck"/>.</summary>
internal static class DeviationCaseRunner
{
    public sealed record Result(DeviationOutcome Outcome, IReadOnlyList<CaseAttachment> Attachments);

    /// <summary>Runs the case on <paramref name="files"/>, the files its discovery resolved (no second resolution or seed selection).</summary>
    public static Result Run(DeviationSearchAttribute attr, CaseFiles files, Type testClass, MethodInfo method, int seedPosition, CancellationToken cancellation)
    {
        var settings = DflareTestSettings.For(testClass.Assembly);
        var check = CheckSettingsFor(attr, settings, files, testClass, method, seedPosition);
        var pair = ModelCache.Pair(files.Original, files.Compressed, check.ModelOptions);
        var verdict = DeviationCheck.Run(check with { SanityCheck = settings.SanityCheck }, pair, cancellation, (p, source) => ModelCache.Sanity(files, p, source));
        var outcome = new DeviationOutcome(verdict);

        var attachments = new List<CaseAttachment>();
        foreach (var f in verdict.Findings.Where(f => f.State.IsUnaccepted()).Take(check.MaxListed))
        {
            var key = SnapshotPaths.Sanitize(f.SeedId);
            if (DeviationCheck.Picture(f, verdict.ClassNames) is { } pic)
                attachments.Add(new CaseAttachment($"seed-{key}.composite.png", pic.EncodePng(), "image/png"));
            attachments.Add(new CaseAttachment($"seed-{key}.received.json",
                Encoding.UTF8.GetBytes(DeviationCheck.Facts(f, check, verdict.ClassNames, verdict.OriginalSha256!, verdict.CompressedSha256!).ToJson()), "application/json"));
        }
        var recorder = DflareRun.For(testClass.Assembly);
        if (recorder.IsEnabled)
        {
            try
            {
                recorder.RecordDeviationCase(CheckRecord.From(verdict, CaseId(testClass, method, seedPosition, verdict.Findings.Count == 1 ? verdict.Findings[0].SeedId : null),
                    testClass.FullName ?? testClass.Name, method.Name, recorder.Shard, recorder.SaveImage));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                global::Xunit.TestContext.Current.AddWarning($"Dflare could not write to the report directory {recorder.ReportDirectory}: {e.Message}");
            }
        }
        return new Result(outcome, attachments);
    }

    /// <summary>Records a case that could not run as an error in the report (never throws).</summary>
    public static void RecordError(DeviationSearchAttribute attr, Type testClass, MethodInfo method, int seedPosition, string? seedId, string message)
    {
        try
        {
            var recorder = DflareRun.For(testClass.Assembly);
            if (!recorder.IsEnabled) return;
            recorder.RecordDeviationCase(CheckRecord.ForError(CaseId(testClass, method, seedPosition, seedId), testClass.FullName ?? testClass.Name, method.Name,
                attr.Original, attr.Compressed, attr.Seeds, recorder.Shard, message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DflareException) { }
    }

    private static string CaseId(Type testClass, MethodInfo method, int seedPosition, string? seedId) =>
        $"{testClass.FullName}.{method.Name}" + (seedPosition >= 0 && seedId is not null ? $"[seed={seedId}]" : "");

    internal static CheckSettings CheckSettingsFor(DeviationSearchAttribute a, DflareTestSettings s, CaseFiles files, Type testClass, MethodInfo method, int seedPosition)
    {
        var dir = SnapshotDirectory(a);
        return new CheckSettings
        {
            Original = files.Original,
            Compressed = files.Compressed,
            Seeds = files.SeedPath,
            ModelOptions = a.ToModelOptions(),
            Offset = a.Offset,
            Limit = a.Limit > 0 ? a.Limit : null,
            Sample = a.Sample > 0 ? a.Sample : null,
            Shard = s.Shard,
            SeedPosition = seedPosition >= 0 ? seedPosition : null,
            Budget = s.Budget ?? a.Budget,
            RunSeed = unchecked((ulong)(s.RunSeed ?? a.RunSeed)),
            Strategy = s.Strategy ?? a.Strategy,
            TimeLimit = a.TimeLimitSeconds > 0 ? TimeSpan.FromSeconds(a.TimeLimitSeconds) : null,
            MinMargin = s.MinMargin ?? a.MinMargin,
            MaxLInf = (s.MaxLInf ?? a.MaxLInf) is > 0 and var l ? l : null,
            MinSsim = (s.MinSsim ?? a.MinSsim) is > 0 and var ss ? ss : null,
            Policy = new CheckPolicy(a.AllowedDeviations, (s.MaxDeviationRate ?? a.MaxDeviationRate) is >= 0 and var r ? r : null, s.FailOnFixed ?? a.FailOnFixed),
            FailOnDeviation = s.FailOnDeviation,
            SnapshotDirectory = dir,
            SnapshotName = $"{testClass.Name}.{method.Name}",
            Accept = s.AcceptSnapshots || SnapshotSettings.AcceptFromEnvironment(),
            AcceptHint = $"To accept after review: `dflare accept {dir}`, or run once with DFLARE_ACCEPT=1 (`dotnet test -p:DflareAcceptSnapshots=true`) on a developer machine; never on CI.",
        };
    }

    private static string SnapshotDirectory(DeviationSearchAttribute attr)
    {
        var dir = attr.SourceFile is { } f ? Path.GetDirectoryName(f) : null;
        return dir is not null && Directory.Exists(dir)
            ? Path.Combine(dir, "Snapshots")
            : Path.Combine(AppContext.BaseDirectory, "Snapshots");
    }
}
