using System.Reflection;
using System.Text;
using Dflare.Check;
using Dflare.Reports;
using Dflare.Snapshots;
using Dflare.Xunit.Reporting;

namespace Dflare.Xunit.Execution;

/// <summary>Runs one deviation case: its plan and the run-wide settings become a <see cref="CheckSettings"/> for <see cref="DeviationCheck"/>.</summary>
internal static class DeviationCaseRunner
{
    public sealed record Result(DeviationOutcome Outcome, IReadOnlyList<CaseAttachment> Attachments);

    /// <summary>Runs the case from its plan (no second resolution of files or selection of seeds, no attribute read).</summary>
    public static Result Run(DeviationCasePlan plan, Type testClass, MethodInfo method, int seedPosition, CancellationToken cancellation)
    {
        var check = plan.ForRun(DflareTestSettings.For(testClass.Assembly), seedPosition);
        var pair = ModelCache.Pair(check.Original, check.Compressed, check.ModelOptions);
        var verdict = DeviationCheck.Run(check, pair, cancellation, (p, source) => ModelCache.Sanity(check, p, source));
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
    public static void RecordError(DeviationCasePlan plan, Type testClass, MethodInfo method, int seedPosition, string? seedId, string message)
    {
        try
        {
            var recorder = DflareRun.For(testClass.Assembly);
            if (!recorder.IsEnabled) return;
            recorder.RecordDeviationCase(CheckRecord.ForError(CaseId(testClass, method, seedPosition, seedId), testClass.FullName ?? testClass.Name, method.Name,
                plan.Original, plan.Compressed, plan.Seeds, recorder.Shard, message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DflareException) { }
    }

    private static string CaseId(Type testClass, MethodInfo method, int seedPosition, string? seedId) =>
        $"{testClass.FullName}.{method.Name}" + (seedPosition >= 0 && seedId is not null ? $"[seed={seedId}]" : "");
}
