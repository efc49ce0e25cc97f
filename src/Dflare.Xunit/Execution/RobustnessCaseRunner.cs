using System.Globalization;
using System.Reflection;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Quanos.Adversarial;
using Dflare.Onnx;
using Dflare.Quanos.Robustness;
using Dflare.Quanos.Sensitivity;
using Dflare.Reports;
using Dflare.Xunit.Reporting;

namespace Dflare.Xunit.Execution;

/// <summary>Runs a robustness check.</summary>
internal static class RobustnessCaseRunner
{
    /// <summary>Runs the check the settings describe.</summary>
    public static RobustnessOutcome Run(RobustnessCaseSettings plan, CancellationToken cancellation)
    {
        var options = plan.ModelOptions;
        var ro = plan.Scan;
        var check = plan.CreateCheck();
        var model = OnnxClassifier.Load(plan.Model, options);
        var original = plan.Original is null ? null : OnnxClassifier.Load(plan.Original, options);
        if (original is not null) ModelPair.EnsureMatch(original, model);
        var seeds = SeedSource.Open(plan.Seeds).Load(plan.Offset, plan.Limit);
        if (seeds.Count == 0) throw new DflareException($"No seeds in '{plan.Seeds}' after offset {plan.Offset}.");
        cancellation.ThrowIfCancellationRequested();
        var inputs = AttackInput.From(model, seeds);
        ModelRobustness evidence;
        ModelRobustness? originalEvidence = null;
        if (original is null) evidence = check.Analyze(model, inputs);
        else
        {
            var both = check.Compare(original, model, inputs);
            evidence = both.Compressed;
            originalEvidence = both.Original;
        }
        cancellation.ThrowIfCancellationRequested();
        // The report whose adversarial images feed the per-layer sensitivity: FGSM's when it ran (QUANOS defines ANS with FGSM).
        var report = evidence.Attacks.FirstOrDefault(r => r.Attack != "square") ?? evidence.Attacks[0];

        // Per-layer adversarial noise sensitivity (QUANOS) from the same clean / adversarial pairs, with the bit-widths
        // the rule gives; recorded whatever the verdict.
        AnsReport? ans = null;
        string? ansNote = null;
        try
        {
            // The same clean images the attack used, and the preprocessing the classifier used (its sidecar included).
            var clean = inputs.Select(x => x.Pixels).ToList();
            ans = new AnsAnalyzer().Analyze(OnnxModel.Load(plan.Model), ModelOptions.ForModel(plan.Model, options), clean, report.Seeds.Select(r => r.Adversarial).ToList());
        }
        catch (DflareException e) { ansNote = $"no per-layer sensitivity: {e.Message}"; }

        var inv = CultureInfo.InvariantCulture;
        string F(double v) => double.IsPositiveInfinity(v) ? "∞ (no flip within the scan)" : v.ToString("0.####", inv) + $" ({(v * 255).ToString("0.#", inv)} grey levels)";
        double median = evidence.MedianFlipEpsilon ?? double.PositiveInfinity;
        var evidenceName = string.Join(" + ", evidence.Attacks.Select(r => r.Attack).Concat(evidence.TransferPredictions is null ? [] : ["transfer"]));
        var failures = new List<string>();
        if (median < plan.MinEpsilon)
            failures.Add($"{Path.GetFileName(plan.Model)} is not robust enough: its median flipping ε over {evidence.Count} seeds is {F(median)}, below the required {F(plan.MinEpsilon)}.");
        if (originalEvidence is not null && plan.Tolerance >= 0)
        {
            double om = originalEvidence.MedianFlipEpsilon ?? double.PositiveInfinity;
            if (!double.IsPositiveInfinity(om) && median < om - plan.Tolerance)
                failures.Add($"{Path.GetFileName(plan.Model)} is less robust than its original {Path.GetFileName(plan.Original)}: median flipping ε {F(median)} vs {F(om)}, a drop of more than the tolerance {plan.Tolerance.ToString("0.####", inv)}.");
        }
        string PerAttack(ModelRobustness m) => string.Join("; ", m.Attacks.Select(r => $"{r.Attack}: {r.Flips} of {r.Count} flip" +
            (r.AdversarialAccuracy is { } x ? string.Create(inv, $", adversarial accuracy {x:P1}") : "")));
        var summary = $"{Path.GetFileName(plan.Model)}: median flipping ε {F(median)} over {evidence.Count} seeds (worst case of {evidenceName}); " +
            $"{evidence.Flips} of {evidence.Count} flip at ε = {ro.Epsilon.ToString("0.####", inv)}" +
            (evidence.AdversarialAccuracy is { } adv ? $", adversarial accuracy at most {adv.ToString("P1", inv)} (clean {report.CleanAccuracy?.ToString("P1", inv)})" : "") +
            $" [{PerAttack(evidence)}" + (evidence.TransferFlips is { } tf ? $"; transfer of the original's images: {tf} of {evidence.Count} flip" : "") + "]" +
            (originalEvidence is null ? "" : $"; original {Path.GetFileName(plan.Original)}: median flipping ε {F(originalEvidence.MedianFlipEpsilon ?? double.PositiveInfinity)}") + ".";
        var warnings = evidence.Warnings.Concat(originalEvidence?.Warnings ?? []).Select(w => "Warning (gradient masking): " + w.Message).ToList();
        var table = ans is null ? ansNote! : $"Per-layer sensitivity (ANS) and bits (k_init {ans.KInit}), from the {report.Attack} images:\n" + string.Join("\n", ans.Layers.Select(l =>
            string.Create(inv, $"  {l.Name} ({l.Op}): ANS {l.Ans:0.####} → {l.Bits} bits{(l.Clamped ? " (clamped)" : "")}{(l.Fragile ? " (fragile: near a rounding boundary)" : "")}")));
        var message = string.Join("\n", failures.Concat([summary]).Concat(warnings).Concat([table]));
        return new RobustnessOutcome(plan.Model, plan.Original, evidence, originalEvidence, plan.MinEpsilon, failures.Count == 0, message, ans);
    }

    /// <summary>Records a check that could not run as a failed check in the report, with its message (never throws).</summary>
    public static void RecordError(Type testClass, MethodInfo method, RobustnessCasePlan plan, string message)
    {
        try
        {
            var recorder = DflareRun.For(testClass.Assembly);
            if (!recorder.IsEnabled) return;
            recorder.RecordRobustness(new RobustnessRecord
            {
                Id = $"{testClass.FullName}.{method.Name}",
                TestClass = testClass.FullName!, TestMethod = method.Name,
                Model = plan.Model ?? "", Original = plan.Original, SeedSource = plan.Seeds,
                Passed = false, Message = message,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DflareException) { }
    }

    /// <summary>Adds the check to the run's report (a reporting problem becomes a warning, never a failure).</summary>
    public static void Record(Type testClass, MethodInfo method, RobustnessCasePlan plan, RobustnessOutcome outcome)
    {
        var recorder = DflareRun.For(testClass.Assembly);
        if (!recorder.IsEnabled) return;
        var r = outcome.Report;
        var ev = outcome.Evidence;
        try
        {
            recorder.RecordRobustness(new RobustnessRecord
            {
                Id = $"{testClass.FullName}.{method.Name}",
                TestClass = testClass.FullName!, TestMethod = method.Name,
                Model = outcome.Model, Original = outcome.Original, SeedSource = plan.Seeds, Seeds = r.Count,
                Epsilon = r.Options.Epsilon, CleanAccuracy = r.CleanAccuracy, AdversarialAccuracy = ev.AdversarialAccuracy,
                OriginalAdversarialAccuracy = outcome.OriginalEvidence?.AdversarialAccuracy,
                MedianFlipEpsilon = ev.MedianFlipEpsilon is { } m && double.IsFinite(m) ? m : null,
                Layers = outcome.Sensitivity?.Layers.Select(l => new LayerSensitivityRecord(l.Name, l.Op, l.Ans, l.Bits)).ToArray() ?? [],
                Queries = ev.Attacks.Sum(x => x.Queries) + (outcome.OriginalEvidence?.Attacks.Sum(x => x.Queries) ?? 0), Seconds = ev.Seconds + (outcome.OriginalEvidence?.Seconds ?? 0),
                Passed = outcome.Passed, Message = outcome.Passed ? null : outcome.Message,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            global::Xunit.TestContext.Current.AddWarning($"Dflare could not write to the report directory {recorder.ReportDirectory}: {e.Message}");
        }
    }
}
