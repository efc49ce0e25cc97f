using System.Globalization;
using System.Text;
using Dflare.Search;

namespace Dflare.Check;

/// <summary>The verdict of a <see cref="DeviationCheck"/>: pass or fail, every seed's finding, the numbers and the message.</summary>
public sealed record CheckVerdict
{
    /// <summary>The settings checked.</summary>
    public required CheckSettings Settings { get; init; }
    /// <summary>Every seed's finding, in seed order.</summary>
    public required IReadOnlyList<SeedFinding> Findings { get; init; }
    /// <summary>Seeds per state.</summary>
    public StateCounts Counts => StateCounts.Of(Findings.Select(f => f.State));
    /// <summary>True when the findings break <see cref="CheckRule.Fails"/> (in report-only mode the check still passes).</summary>
    public bool Violated => CheckRule.Fails(Counts, Settings.Policy);
    /// <summary>The check's result: false when violated, unless report-only and nothing errored.</summary>
    public bool Passed => !Violated || (!Settings.FailOnDeviation && Counts.Error == 0);
    /// <summary>Seeds with a true label.</summary>
    public int LabelledSeeds => Findings.Count(f => f.TrueLabel is not null && f.SeedOriginalLabel is not null);
    /// <summary>The original model's accuracy on the unmodified seeds (null without labels).</summary>
    public double? OriginalAccuracy => Accuracy(f => f.SeedOriginalLabel);
    /// <summary>The compressed model's accuracy on the unmodified seeds (null without labels).</summary>
    public double? CompressedAccuracy => Accuracy(f => f.SeedCompressedLabel);
    /// <summary>Unmodified seeds on which the two models' top-1 labels differ (any margin).</summary>
    public int Disagreements => Findings.Count(f => f.SeedOriginalLabel is { } a && f.SeedCompressedLabel is { } b && a != b);
    /// <summary>The class names of the seed source, when known.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>SHA-256 of the original model file.</summary>
    public string? OriginalSha256 { get; init; }
    /// <summary>SHA-256 of the compressed model file.</summary>
    public string? CompressedSha256 { get; init; }
    /// <summary>Model files that changed since some of their snapshots were accepted (sentences).</summary>
    public IReadOnlyList<string> ChangedModels { get; init; } = [];
    /// <summary>Model queries spent (unmodified seeds, replays and searches).</summary>
    public long Queries => Findings.Sum(f => f.Queries);
    /// <summary>Wall time of the check, in seconds.</summary>
    public double Seconds { get; init; }
    /// <summary>Per-operator selections and successes of the searches.</summary>
    public IReadOnlyList<OperatorStat> Operators { get; init; } = [];

    /// <summary>The class name of a label (the number when unknown).</summary>
    public string ClassName(int label) =>
        ClassNames is { } n && label >= 0 && label < n.Count ? n[label] : label.ToString(CultureInfo.InvariantCulture);

    /// <summary>The first line: the pair, the verdict, the rate with its interval, the states, accuracy and disagreement.</summary>
    public string Headline
    {
        get
        {
            var c = Counts;
            var (lo, hi) = c.RateInterval;
            string verdict = Passed ? (Violated ? "PASSED (report-only)" : "PASSED") : "FAILED";
            var sb = new StringBuilder($"{Path.GetFileName(Settings.Compressed)} vs {Path.GetFileName(Settings.Original)}: {verdict}. ");
            sb.Append(CultureInfo.InvariantCulture, $"{c.Deviating} of {c.Checked} seeds deviate ({P(c.Rate)}, 95 % CI {P(lo)}–{P(hi)}): {c.Describe()}.");
            sb.Append(CultureInfo.InvariantCulture, $" Unmodified seeds: ");
            if (OriginalAccuracy is { } oa && CompressedAccuracy is { } ca)
                sb.Append(CultureInfo.InvariantCulture, $"accuracy {P(oa)} original, {P(ca)} compressed ({LabelledSeeds} labelled); ");
            sb.Append(CultureInfo.InvariantCulture, $"the models disagree on {Disagreements}.");
            return sb.ToString();
        }
    }

    /// <summary>The full message: headline, settings, changed model files, the first findings and one accept hint.</summary>
    public string Message
    {
        get
        {
            var sb = new StringBuilder(Headline);
            var st = Settings;
            sb.Append(CultureInfo.InvariantCulture, $"\nA deviation counts when {st.DescribeMeaningful()}; strategy {st.Strategy}, budget {st.Budget} queries per seed, run seed {st.RunSeed}");
            if (st.Policy.MaxDeviationRate is { } m) sb.Append(CultureInfo.InvariantCulture, $"; fails above a deviation rate of {P(m)}");
            else if (st.Policy.AllowedDeviations > 0) sb.Append(CultureInfo.InvariantCulture, $"; {st.Policy.AllowedDeviations} new deviation(s) allowed");
            if (st.Policy.FailOnFixed) sb.Append("; fixed deviations fail (FailOnFixed)");
            sb.Append('.');
            foreach (var changed in ChangedModels) sb.Append('\n').Append(changed);
            var listed = Findings.Where(f => CheckRule.IsProblem(f.State, st.Policy)).Concat(Findings.Where(f => f.State == SeedState.Fixed && !st.Policy.FailOnFixed)).ToList();
            foreach (var f in listed.Take(st.MaxListed)) sb.Append("\n- ").Append(Describe(f));
            if (listed.Count > st.MaxListed) sb.Append(CultureInfo.InvariantCulture, $"\n…and {listed.Count - st.MaxListed} more (see the report).");
            if (Findings.Any(f => f.State.IsUnaccepted())) sb.Append('\n').Append(st.AcceptHint);
            if (ManyNew) sb.Append('\n').Append(ManyNewHint);
            if (Findings.Any(f => f.State == SeedState.Fixed))
                sb.Append("\nA fixed deviation's verified snapshot can be deleted (accept mode deletes it).");
            if (Violated && Passed) sb.Append("\n(report-only mode: DflareFailOnDeviation=false, the test passes)");
            return sb.ToString();
        }
    }

    /// <summary>True when more than the listed findings are new and they are most of the seeds: a property of the model, not a few cases.</summary>
    public bool ManyNew => Counts.New > Settings.MaxListed && Counts.Rate >= 0.5;

    /// <summary>What to do when most seeds deviate (<see cref="ManyNew"/>).</summary>
    public const string ManyNewHint =
        "Most seeds deviate: the compressed model changes confident decisions near most inputs, not in a few cases. " +
        "Look at a sample of the pictures in the report; then re-compress or repair the model (`dflare localize`, `dflare repair`), " +
        "or, to adopt the gate on the model as it is, accept them (they are replayed as known, and only new ones fail) " +
        "or set the rate you tolerate (DflareMaxDeviationRate, `dflare check --max-deviation-rate`).";

    /// <summary>One finding in a line: <c>new seed 17: original cat (margin 0.62) → compressed dog (margin 0.31); L∞ 24 …</c>.</summary>
    public string Describe(SeedFinding f)
    {
        var sb = new StringBuilder($"{f.State.Word()} seed {f.SeedId}");
        if (f.OriginalLabel is { } o && f.CompressedLabel is { } c)
        {
            sb.Append(CultureInfo.InvariantCulture, $": original {ClassName(o)}{Margin(f.OriginalMargin)}, compressed {ClassName(c)}{Margin(f.CompressedMargin)}");
            if (f.AcceptedLabels is { } a && (a.Original != o || a.Compressed != c || f.State == SeedState.Fixed))
                sb.Append(CultureInfo.InvariantCulture, $" (accepted: {ClassName(a.Original)} vs {ClassName(a.Compressed)})");
            if (f.LInf is { } l) sb.Append(CultureInfo.InvariantCulture, $"; L∞ {l}");
            if (f.Ssim is { } s) sb.Append(CultureInfo.InvariantCulture, $", SSIM {s:F3}");
            if (f.SearchStatus == Search.SearchStatus.AlreadyDeviating) sb.Append(" (on the unmodified seed)");
        }
        if (f.ReceivedImage is { } r) sb.Append(CultureInfo.InvariantCulture, $"; received {r}");
        if (f.Note is { } n) sb.Append(". ").Append(n);
        return sb.ToString();
    }

    private static string Margin(double? m) => m is { } v ? string.Create(CultureInfo.InvariantCulture, $" (margin {v:F2})") : "";

    private double? Accuracy(Func<SeedFinding, int?> label)
    {
        var labelled = Findings.Where(f => f.TrueLabel is not null && f.SeedOriginalLabel is not null).ToList();
        return labelled.Count == 0 ? null : (double)labelled.Count(f => label(f) == f.TrueLabel) / labelled.Count;
    }

    internal static string P(double v) => (v * 100).ToString(v is > 0 and < 0.1 ? "0.0" : "0", CultureInfo.InvariantCulture) + " %";
}
