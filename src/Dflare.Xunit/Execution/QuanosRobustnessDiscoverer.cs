using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Dflare.Attacks;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Onnx;
using Dflare.Quanos.Robustness;
using Dflare.Quanos.Sensitivity;
using Dflare.Reports;
using Dflare.Xunit.Reporting;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>Discovers the single case of a <see cref="QuanosRobustnessAttribute"/>; configuration problems become a failing (or, with missing files and <c>SkipWhenFilesMissing</c>, skipped) case.</summary>
public sealed class QuanosRobustnessDiscoverer : IXunitTestCaseDiscoverer
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<IXunitTestCase>> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, IXunitTestMethod testMethod, IFactAttribute factAttribute)
    {
        var attr = (QuanosRobustnessAttribute)factAttribute;
        var d = TestIntrospectionHelper.GetTestCaseDetails(discoveryOptions, testMethod, factAttribute);
        string? error = null, skip = null;
        try
        {
            // A robustness check has no seeds to slice between shards: it runs in shard 1 only.
            if (DflareTestSettings.For(testMethod.TestClass.Class.Assembly).Shard is { Index: > 1 } shard)
                skip = $"QUANOS robustness checks run in shard 1/{shard.Count} only (this is shard {shard.Index}/{shard.Count}).";
            RobustnessPlan.Create(attr);
        }
        catch (MissingInputException e) when (attr.SkipWhenFilesMissing) { skip = e.Message; }
        catch (Exception e) when (e is DflareException or IOException or UnauthorizedAccessException) { error = e.Message; }
        var label = attr.Model is null ? "robustness" : $"{Path.GetFileName(attr.Model)} robustness ≥ ε {attr.MinEpsilon.ToString("G4", CultureInfo.InvariantCulture)}";
        IXunitTestCase tc = new RobustnessTestCase(error, d.ResolvedTestMethod, $"{d.TestCaseDisplayName} [{label}]", d.UniqueID, d.Explicit,
            d.SkipExceptions, skip ?? d.SkipReason, d.SkipType, d.SkipUnless, d.SkipWhen, TestCaseTraits.For(testMethod), d.SourceFilePath, d.SourceLineNumber, d.Timeout);
        return new([tc]);
    }
}

/// <summary>The resolved files of a robustness check.</summary>
internal sealed record RobustnessPlan(string Model, string? Original, string Seeds)
{
    public static RobustnessPlan Create(QuanosRobustnessAttribute a)
    {
        var baseDir = AppContext.BaseDirectory;
        var sourceDir = a.SourceFile is { } f ? Path.GetDirectoryName(f) : null;
        if (string.IsNullOrWhiteSpace(a.Model)) throw new DflareException("[QuanosRobustness] needs Model = \"model.onnx\".");
        if (string.IsNullOrWhiteSpace(a.Seeds)) throw new DflareException("[QuanosRobustness] needs Seeds = \"folder, IDX or CIFAR-10 file\".");
        if (!(a.MinEpsilon > 0 && a.MinEpsilon < 1)) throw new DflareException($"minEpsilon must be in (0, 1) in [0,1] pixel units; got {a.MinEpsilon.ToString(CultureInfo.InvariantCulture)}.");
        if (a.Limit <= 0 || a.Offset < 0) throw new DflareException($"Limit must be positive and Offset not negative (got {a.Limit}, {a.Offset}).");
        return new RobustnessPlan(
            PathResolver.Resolve(a.Model, "model", baseDir, sourceDir),
            string.IsNullOrWhiteSpace(a.Original) ? null : PathResolver.Resolve(a.Original, "original model", baseDir, sourceDir),
            PathResolver.Resolve(a.Seeds, "seed source", baseDir, sourceDir));
    }
}

/// <summary>The test case of a <see cref="QuanosRobustnessAttribute"/>.</summary>
public sealed class RobustnessTestCase : DflareTestCase
{
    /// <summary>For the de-serializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public RobustnessTestCase() { }

    /// <summary>Creates the case.</summary>
    public RobustnessTestCase(string? configurationError, IXunitTestMethod testMethod, string displayName, string uniqueID, bool @explicit,
        Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(configurationError, testMethod, displayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen,
               traits, sourceFilePath, sourceLineNumber, timeout) { }

    /// <inheritdoc />
    protected override Type OutcomeType => typeof(RobustnessOutcome);

    /// <inheritdoc />
    protected override void OnError(string message)
    {
        if (TestMethod.Method.GetCustomAttribute<QuanosRobustnessAttribute>() is { } a)
            RobustnessCaseRunner.RecordError(TestMethod.TestClass.Class, TestMethod.Method, a, message);
    }

    /// <inheritdoc />
    protected override Task<(object Outcome, CaseFailureReport? Failure)> Check(CancellationToken cancellation)
    {
        var a = TestMethod.Method.GetCustomAttribute<QuanosRobustnessAttribute>()
            ?? throw new InvalidOperationException($"{TestMethod.MethodName} has no [QuanosRobustness] attribute.");
        var outcome = RobustnessCaseRunner.Run(a, cancellation);
        RobustnessCaseRunner.Record(TestMethod.TestClass.Class, TestMethod.Method, a, outcome);
        return Task.FromResult<(object, CaseFailureReport?)>((outcome, outcome.Passed ? null : new CaseFailureReport(outcome.Message, [])));
    }
}

/// <summary>Runs a robustness check.</summary>
internal static class RobustnessCaseRunner
{
    public static RobustnessOutcome Run(QuanosRobustnessAttribute a, CancellationToken cancellation)
    {
        var plan = RobustnessPlan.Create(a);
        var options = a.ToModelOptions();
        var names = new List<string>();
        foreach (var part in a.Attack.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var p = part.ToLowerInvariant();
            if (p == "all") names.AddRange(["square", "fgsm"]);
            else if (p is "square" or "fgsm") names.Add(p);
            else throw new DflareException($"Attack '{part}' is not one of square, fgsm, all.");
        }
        if (names.Count == 0) throw new DflareException("Attack names no attack; use square, fgsm or all.");
        names = names.Distinct().ToList();
        var ro = new RobustnessOptions
        {
            Epsilon = a.Epsilon > 0 ? a.Epsilon : a.MinEpsilon,
            MaxEpsilon = a.MaxEpsilon > 0 ? a.MaxEpsilon : Math.Min(0.99, Math.Max(4 * a.MinEpsilon, Math.Min(4 * (a.Epsilon > 0 ? a.Epsilon : a.MinEpsilon), 0.5))),
            Grid = a.Grid,
        };
        ro.Validate();
        // A scan that stops below the floor could never find a flip under it, and the check would pass unseen.
        if (ro.ScanMax < a.MinEpsilon)
            throw new DflareException($"MaxEpsilon {ro.ScanMax} is below the required MinEpsilon {a.MinEpsilon}: the flip scan must reach the floor.");
        var attacks = new List<IRobustnessAttack>();
        foreach (var name in names)
        {
            if (name == "square")
            {
                if (a.Queries < 1) throw new DflareException($"Queries must be positive (got {a.Queries}).");
                attacks.Add(new SquareRobustnessAnalyzer(ro, new SquareAttackOptions { QueriesPerSeed = a.Queries, PInit = a.PInit, Seed = unchecked((ulong)a.RunSeed) }, a.FlipSteps));
                continue;
            }
            IGradientEstimator estimator = a.Gradient.Trim().ToLowerInvariant() switch
            {
                "fd" => a.FiniteDifferenceStep > 0 ? new FiniteDifferenceGradient(a.FiniteDifferenceStep)
                    : throw new DflareException($"FiniteDifferenceStep must be positive (got {a.FiniteDifferenceStep})."),
                "spsa" => a.Samples > 0 ? new SpsaGradient(a.Samples, unchecked((ulong)a.RunSeed))
                    : throw new DflareException($"Samples must be positive (got {a.Samples})."),
                _ => throw new DflareException($"Gradient '{a.Gradient}' is not one of fd, spsa."),
            };
            attacks.Add(new RobustnessAnalyzer(estimator, ro));
        }
        var check = new RobustnessCheck(attacks, unchecked((ulong)a.RunSeed));
        var model = OnnxClassifier.Load(plan.Model, options);
        var original = plan.Original is null ? null : OnnxClassifier.Load(plan.Original, options);
        if (original is not null) ModelPair.EnsureMatch(original, model);
        var seeds = SeedSource.Open(plan.Seeds).Load(a.Offset, a.Limit);
        if (seeds.Count == 0) throw new DflareException($"No seeds in '{plan.Seeds}' after offset {a.Offset}.");
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
        if (median < a.MinEpsilon)
            failures.Add($"{Path.GetFileName(plan.Model)} is not robust enough: its median flipping ε over {evidence.Count} seeds is {F(median)}, below the required {F(a.MinEpsilon)}.");
        if (originalEvidence is not null && a.Tolerance >= 0)
        {
            double om = originalEvidence.MedianFlipEpsilon ?? double.PositiveInfinity;
            if (!double.IsPositiveInfinity(om) && median < om - a.Tolerance)
                failures.Add($"{Path.GetFileName(plan.Model)} is less robust than its original {Path.GetFileName(plan.Original)}: median flipping ε {F(median)} vs {F(om)}, a drop of more than the tolerance {a.Tolerance.ToString("0.####", inv)}.");
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
        return new RobustnessOutcome(plan.Model, plan.Original, evidence, originalEvidence, a.MinEpsilon, failures.Count == 0, message, ans);
    }

    /// <summary>Records a check that could not run as a failed check in the report, with its message (never throws).</summary>
    public static void RecordError(Type testClass, MethodInfo method, QuanosRobustnessAttribute a, string message)
    {
        try
        {
            var recorder = DflareRun.For(testClass.Assembly);
            if (!recorder.IsEnabled) return;
            recorder.RecordRobustness(new RobustnessRecord
            {
                Id = $"{testClass.FullName}.{method.Name}",
                TestClass = testClass.FullName!, TestMethod = method.Name,
                Model = a.Model ?? "", Original = a.Original, SeedSource = a.Seeds,
                Passed = false, Message = message,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DflareException) { }
    }

    /// <summary>Adds the check to the run's report (a reporting problem becomes a warning, never a failure).</summary>
    public static void Record(Type testClass, MethodInfo method, QuanosRobustnessAttribute a, RobustnessOutcome outcome)
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
                Model = outcome.Model, Original = outcome.Original, SeedSource = a.Seeds, Seeds = r.Count,
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
