using Dflare.Check;

namespace Dflare.Reports;

/// <summary>The deviation cases of one model pair, with the numbers of the summary table.</summary>
public sealed class PairSummary
{
    /// <summary>Groups <paramref name="cases"/> (all of one pair).</summary>
    public PairSummary(string original, string compressed, IReadOnlyList<DeviationCaseRecord> cases)
    {
        Original = original;
        Compressed = compressed;
        Cases = cases;
    }

    /// <summary>The original model's path.</summary>
    public string Original { get; }
    /// <summary>The compressed model's path.</summary>
    public string Compressed { get; }
    /// <summary>The pair's cases.</summary>
    public IReadOnlyList<DeviationCaseRecord> Cases { get; }
    /// <summary>A short title: <c>compressed.onnx vs original.onnx</c>.</summary>
    public string Title => $"{Path.GetFileName(Compressed)} vs {Path.GetFileName(Original)}";
    /// <summary>Every seed of every case (with its case).</summary>
    public IEnumerable<(DeviationCaseRecord Case, SeedRecord Seed)> AllSeeds => Cases.SelectMany(c => c.Seeds.Select(s => (c, s)));
    /// <summary>Seeds per state, over every case.</summary>
    public StateCounts Counts => StateCounts.Of(Cases.SelectMany(c => c.Seeds).Select(s => s.State));
    /// <summary>Seeds checked or errored.</summary>
    public int SeedCount => Cases.Sum(c => c.Seeds.Count);
    /// <summary>Seeds whose input deviates now (known, new, changed).</summary>
    public int Deviations => Counts.Deviating;
    /// <summary>New deviations.</summary>
    public int New => Counts.New;
    /// <summary>Known (accepted, still deviating) deviations.</summary>
    public int Known => Counts.Known;
    /// <summary>Changed deviations.</summary>
    public int Changed => Counts.Changed;
    /// <summary>Fixed deviations.</summary>
    public int Fixed => Counts.Fixed;
    /// <summary>Seeds and cases that errored.</summary>
    public int Errors => Counts.Error + Cases.Count(c => c.Error is not null);
    /// <summary>Seeds with a true label and a prediction on the unmodified seed.</summary>
    public int LabelledSeeds => Cases.Sum(c => c.Seeds.Count(s => s.TrueClass is not null && s.SeedClass is not null));
    /// <summary>The original model's accuracy on the unmodified seeds (null without labels).</summary>
    public double? OriginalAccuracy => Accuracy(s => s.SeedClass);
    /// <summary>The compressed model's accuracy on the unmodified seeds (null without labels).</summary>
    public double? CompressedAccuracy => Accuracy(s => s.SeedCompressedClass);
    /// <summary>Unmodified seeds on which the two models' top-1 labels differ.</summary>
    public int Disagreements => Cases.Sum(c => c.Seeds.Count(s => s.SeedClass is not null && s.SeedCompressedClass is not null && s.SeedClass != s.SeedCompressedClass));

    private double? Accuracy(Func<SeedRecord, string?> label)
    {
        var l = Cases.SelectMany(c => c.Seeds).Where(s => s.TrueClass is not null && s.SeedClass is not null).ToList();
        return l.Count == 0 ? null : (double)l.Count(s => label(s) == s.TrueClass) / l.Count;
    }

    /// <summary>Model queries spent.</summary>
    public long Queries => Cases.Sum(c => c.Seeds.Sum(s => s.Queries));
    /// <summary>Wall time of the cases, in seconds.</summary>
    public double Seconds => Cases.Sum(c => c.Seconds);
    /// <summary>True when every case passed.</summary>
    public bool Passed => Cases.All(c => c.Passed);
    /// <summary>The pair's headline: verdict, deviation rate with its 95 % interval, states, accuracy and disagreement (the words of the test message).</summary>
    public string Headline
    {
        get
        {
            var c = Counts;
            var (lo, hi) = c.RateInterval;
            var sb = new System.Text.StringBuilder($"{Title}: {(Passed ? "passed" : "failed")}. ");
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"{c.Deviating} of {c.Checked} seeds deviate ({Pct(c.Rate)}, 95 % CI {Pct(lo)}–{Pct(hi)}): {c.Describe()}");
            if (Cases.Count(x => x.Error is not null) is > 0 and var e) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $", {e} case(s) errored");
            sb.Append(". Unmodified seeds: ");
            if (OriginalAccuracy is { } oa && CompressedAccuracy is { } ca) sb.Append($"accuracy {Pct(oa)} original, {Pct(ca)} compressed; ");
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"the models disagree on {Disagreements}.");
            return sb.ToString();
        }
    }

    /// <summary>A rate as a percentage (one decimal below 10 %).</summary>
    public static string Pct(double v) => (v * 100).ToString(v is > 0 and < 0.1 ? "0.0" : "0", System.Globalization.CultureInfo.InvariantCulture) + " %";
    /// <summary>Per-operator totals over every case.</summary>
    public IReadOnlyList<OperatorRecord> Operators =>
        Cases.SelectMany(c => c.Operators).GroupBy(o => o.Operator)
            .Select(g => new OperatorRecord(g.Key, g.Sum(o => o.Selections), g.Sum(o => o.Successes))).ToList();
}
