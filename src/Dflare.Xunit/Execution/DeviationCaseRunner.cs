using System.Globalization;
using System.Reflection;
using System.Text;
using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search;
using Dflare.Snapshots;
using Dflare.Xunit.Reporting;

namespace Dflare.Xunit.Execution;

/// <summary>Runs the search of one deviation case and checks its findings against the verified snapshots.</summary>
internal static class DeviationCaseRunner
{
    public sealed record Result(DeviationOutcome Outcome, IReadOnlyList<CaseAttachment> Attachments);

    public static Result Run(DeviationSearchAttribute attr, Type testClass, MethodInfo method, int seedPosition, CancellationToken cancellation)
    {
        var settings = DflareTestSettings.For(testClass.Assembly);
        var plan = CasePlan.Create(attr, settings, method);
        var options = attr.ToModelOptions();
        var pair = ModelCache.Pair(plan.Original, plan.Compressed, options);
        var search = SearchSettingsFor(attr, settings);

        var source = SeedSource.Open(plan.SeedPath);
        if (settings.SanityCheck)
            ModelCache.Sanity(plan, pair, source).ThrowIfProblems("If this is intended, run with -p:DflareSanityCheck=false.");
        var seeds = seedPosition >= 0
            ? source.Enumerate(seedPosition, 1).ToList()
            : plan.SeedIds.Select(s => source.Enumerate(s.Position, 1).Single()).ToList();
        var run = new SearchRunner(pair, search).Run(seeds, cancellation: cancellation);

        var context = new SearchReportContext
        {
            Original = plan.Original, Compressed = plan.Compressed, SeedSource = plan.SeedPath, ClassNames = source.ClassNames,
        };
        var snapshotDir = SnapshotDirectory(attr);
        var snapshotSettings = SnapshotSettings.FromEnvironment() with
        {
            AcceptAll = settings.AcceptSnapshots || SnapshotSettings.FromEnvironment().AcceptAll,
            PixelTolerance = Math.Max(attr.PixelTolerance, SnapshotSettings.FromEnvironment().PixelTolerance),
        };
        var outcomes = new List<SeedOutcome>();
        var attachments = new List<CaseAttachment>();
        foreach (var r in run.Seeds)
        {
            var paths = SnapshotPaths.For(snapshotDir, testClass.Name, method.Name, $"seed={r.SeedId}");
            SnapshotVerdict verdict;
            if (r.Status is SearchStatus.Triggered or SearchStatus.AlreadyDeviating)
            {
                var image = r.Trigger ?? r.SeedImage;
                var facts = Facts(r, context, search, plan);
                var composite = Composite(r, context);
                verdict = SnapshotVerifier.Verify(paths, facts, image, composite, snapshotSettings);
                if (verdict.Outcome is SnapshotOutcome.NewDeviation or SnapshotOutcome.Mismatch)
                {
                    attachments.Add(new CaseAttachment($"seed-{SnapshotPaths.Sanitize(r.SeedId)}.composite.png", composite.EncodePng(), "image/png"));
                    attachments.Add(new CaseAttachment($"seed-{SnapshotPaths.Sanitize(r.SeedId)}.received.json", Encoding.UTF8.GetBytes(facts.ToJson()), "application/json"));
                }
            }
            else verdict = SnapshotVerifier.Verify(paths, null, null, null, snapshotSettings);
            outcomes.Add(new SeedOutcome(r, verdict));
        }

        var unaccepted = outcomes.Where(o => o.IsUnaccepted).ToList();
        var gone = outcomes.Where(o => o.Verdict.Outcome == SnapshotOutcome.DeviationGone).ToList();
        bool violated = unaccepted.Count > attr.AllowedDeviations || gone.Count > 0;
        var message = Message(plan, run, outcomes, unaccepted, gone, attr.AllowedDeviations, settings.FailOnDeviation);
        var outcome = new DeviationOutcome(plan.Original, plan.Compressed, search, outcomes, run.Seconds,
            passed: !violated || !settings.FailOnDeviation, message);
        Record(testClass, method, seedPosition, run, context, outcomes, outcome);
        return new Result(outcome, attachments);
    }

    /// <summary>Adds the case to the run's report (a reporting problem becomes a warning, never a failure).</summary>
    private static void Record(Type testClass, MethodInfo method, int seedPosition, SearchRunResult run, SearchReportContext context,
        List<SeedOutcome> outcomes, DeviationOutcome outcome)
    {
        var recorder = DflareRun.For(testClass.Assembly);
        if (!recorder.IsEnabled) return;
        var id = $"{testClass.FullName}.{method.Name}" + (seedPosition >= 0 && outcomes.Count == 1 ? $"[seed={outcomes[0].SeedId}]" : "");
        try
        {
            recorder.RecordDeviationCase(recorder.BuildCase(id, testClass, method, run, context, outcomes, outcome, r => Composite(r, context)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            global::Xunit.TestContext.Current.AddWarning($"Dflare could not write to the report directory {recorder.ReportDirectory}: {e.Message}");
        }
    }

    internal static SearchSettings SearchSettingsFor(DeviationSearchAttribute a, DflareTestSettings s)
    {
        int budget = s.Budget ?? a.Budget;
        if (budget < 2) throw new DflareException($"The query budget must be positive and at least 2 model queries, one image on both models (got {budget}).");
        var strategyName = s.Strategy ?? a.Strategy;
        var strategy = SearchStrategies.Parse(strategyName);
        return new SearchSettings
        {
            Strategy = strategy,
            Budget = budget,
            RunSeed = unchecked((ulong)(s.RunSeed ?? a.RunSeed)),
            TimeLimit = a.TimeLimitSeconds > 0 ? TimeSpan.FromSeconds(a.TimeLimitSeconds) : null,
            Bound = a.MaxLInf > 0 ? new DistortionBound { MaxLInf = a.MaxLInf } : DistortionBound.None,
        };
    }

    private static string SnapshotDirectory(DeviationSearchAttribute attr)
    {
        var dir = attr.SourceFile is { } f ? Path.GetDirectoryName(f) : null;
        return dir is not null && Directory.Exists(dir)
            ? Path.Combine(dir, "Snapshots")
            : Path.Combine(AppContext.BaseDirectory, "Snapshots");
    }

    private static DeviationSnapshot Facts(SeedSearchResult r, SearchReportContext context, SearchSettings search, CasePlan plan)
    {
        int ol = r.OriginalLabel ?? r.SeedOriginalLabel, cl = r.CompressedLabel ?? r.SeedCompressedLabel;
        var po = r.OriginalProbabilities ?? r.SeedOriginalProbabilities;
        var pc = r.CompressedProbabilities ?? r.SeedCompressedProbabilities;
        return new DeviationSnapshot
        {
            SeedId = r.SeedId,
            OriginalLabel = ol, OriginalLabelName = context.ClassNames is null ? null : context.ClassName(ol), OriginalProbability = Math.Round(po[ol], 4),
            CompressedLabel = cl, CompressedLabelName = context.ClassNames is null ? null : context.ClassName(cl), CompressedProbability = Math.Round(pc[cl], 4),
            OriginalProbabilities = po.Select(v => Math.Round((double)v, 4)).ToArray(),
            CompressedProbabilities = pc.Select(v => Math.Round((double)v, 4)).ToArray(),
            Queries = r.Queries, LInf = r.LInf ?? 0, L2 = Math.Round(r.L2 ?? 0, 3), Ssim = r.Ssim is { } s ? Math.Round(s, 4) : null,
            RunSeed = unchecked((long)search.RunSeed), Strategy = search.Strategy.Name(),
            Operators = r.Mutations.Select(m => m.Operator).ToArray(),
            OriginalModelSha256 = ModelCache.Sha256(plan.Original), CompressedModelSha256 = ModelCache.Sha256(plan.Compressed),
        };
    }

    internal static Image Composite(SeedSearchResult r, SearchReportContext context)
    {
        if (r.Trigger is not null) return SearchReport.Picture(r, context);
        string P(float[] p, int label) => $"{context.ClassName(label)} {p[label].ToString("F2", CultureInfo.InvariantCulture)}";
        return TriggerPicture.Compose([(r.SeedImage, [$"seed {r.SeedId} (already deviates)",
            $"orig: {P(r.SeedOriginalProbabilities, r.SeedOriginalLabel)}", $"comp: {P(r.SeedCompressedProbabilities, r.SeedCompressedLabel)}"])]);
    }

    private static string Message(CasePlan plan, SearchRunResult run, List<SeedOutcome> all, List<SeedOutcome> unaccepted, List<SeedOutcome> gone, int allowed, bool failOnDeviation)
    {
        var sb = new StringBuilder();
        var pair = $"{Path.GetFileName(plan.Compressed)} vs its original {Path.GetFileName(plan.Original)}";
        if (unaccepted.Count == 0 && gone.Count == 0)
            sb.Append($"{pair}: no unaccepted deviation on {all.Count} seed(s) ({all.Count(o => o.Deviates)} accepted), {run.TotalQueries} queries.");
        else
        {
            if (unaccepted.Count > 0)
                sb.Append($"{pair}: {unaccepted.Count} deviation(s) not accepted{(allowed > 0 ? $" ({allowed} allowed)" : "")}, on {all.Count} seed(s), {run.TotalQueries} queries.");
            if (gone.Count > 0) sb.Append($"{(sb.Length > 0 ? " " : "")}{pair}: {gone.Count} verified deviation(s) no longer found.");
            foreach (var o in unaccepted.Concat(gone)) sb.Append("\n\n").Append(o.Verdict.Message);
            if (!failOnDeviation) sb.Append("\n\n(report-only mode: DflareFailOnDeviation=false, the test passes)");
        }
        return sb.ToString();
    }
}
