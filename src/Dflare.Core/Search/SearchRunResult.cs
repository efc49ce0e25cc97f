namespace Dflare.Search;

/// <summary>The results of a search run over many seeds, with the summary numbers.</summary>
public sealed record SearchRunResult
{
    /// <summary>The settings used.</summary>
    public required SearchSettings Settings { get; init; }
    /// <summary>Per-seed results, in seed order.</summary>
    public required IReadOnlyList<SeedSearchResult> Seeds { get; init; }
    /// <summary>Wall time of the whole run, in seconds.</summary>
    public double Seconds { get; init; }
    /// <summary>Images the two models actually evaluated together (may exceed <see cref="TotalQueries"/>: DiffChaser's last generation is evaluated as a whole, and unused speculative images are evaluated but not charged).</summary>
    public long ModelQueries { get; init; }
    /// <summary>
    /// Wall time of the run during which at least one batch was being evaluated on the two models (preprocessing,
    /// padding and ONNX Runtime), in seconds; the rest of <see cref="Seconds"/> is mutation, fitness and bookkeeping
    /// that did not overlap an evaluation. Not deterministic.
    /// </summary>
    public double InferenceSeconds { get; init; }

    /// <summary>Images evaluated ahead of time in the padding of fixed-size batches (<see cref="SearchSettings.Speculate"/>), used or not; part of <see cref="ModelQueries"/>.</summary>
    public long SpeculatedImages { get; init; }
    /// <summary>Speculated images the searches went on to use (counted in their queries like any other).</summary>
    public long SpeculationHits { get; init; }

    /// <summary>Seeds searched.</summary>
    public int SeedCount => Seeds.Count;
    /// <summary>Seeds with a triggering input.</summary>
    public int Triggered => Seeds.Count(s => s.Status == SearchStatus.Triggered);
    /// <summary>Seeds on which the models already disagree.</summary>
    public int AlreadyDeviating => Seeds.Count(s => s.Status == SearchStatus.AlreadyDeviating);
    /// <summary>Seeds without a triggering input within the budget.</summary>
    public int NotFound => Seeds.Count(s => s.Status == SearchStatus.NotFound);
    /// <summary>Queries counted over all seeds (searching and shrinking).</summary>
    public long TotalQueries => Seeds.Sum(s => s.Queries + s.ShrinkQueries);
    /// <summary>Of <see cref="TotalQueries"/>, those spent shrinking triggering inputs.</summary>
    public long ShrinkQueries => Seeds.Sum(s => s.ShrinkQueries);
    /// <summary>Median L∞ of the triggering inputs as found, before shrinking (null when none).</summary>
    public double? MedianLInfBeforeShrink => Median(Seeds.Where(s => s.LInf is not null).Select(s => (double)(s.Shrink?.LInfBefore ?? s.LInf!.Value)));
    /// <summary>Median SSIM of the triggering inputs as found, before shrinking (null when none).</summary>
    public double? MedianSsimBeforeShrink => Median(Seeds.Where(s => s.Ssim is not null).Select(s => s.Shrink?.SsimBefore ?? s.Ssim!.Value));
    /// <summary>Triggered / (seeds − already deviating): the success rate over the seeds that were searched (null when none was).</summary>
    public double? SuccessRate => SeedCount - AlreadyDeviating is var n && n > 0 ? (double)Triggered / n : null;

    /// <summary>Median queries of the seeds with a triggering input, to find it (shrinking not included; null when none).</summary>
    public double? MedianQueriesPerTrigger => Median(Seeds.Where(s => s.Status == SearchStatus.Triggered).Select(s => (double)s.Queries));
    /// <summary>Mean queries of the seeds with a triggering input (null when none).</summary>
    public double? MeanQueriesPerTrigger => Seeds.Where(s => s.Status == SearchStatus.Triggered).Select(s => (double)s.Queries).DefaultIfEmpty(double.NaN).Average() is var m && double.IsNaN(m) ? null : m;
    /// <summary>Median L∞ of the triggering inputs.</summary>
    public double? MedianLInf => Median(Seeds.Where(s => s.LInf is not null).Select(s => (double)s.LInf!.Value));
    /// <summary>Median L2 of the triggering inputs.</summary>
    public double? MedianL2 => Median(Seeds.Where(s => s.L2 is not null).Select(s => s.L2!.Value));
    /// <summary>Median SSIM of the triggering inputs.</summary>
    public double? MedianSsim => Median(Seeds.Where(s => s.Ssim is not null).Select(s => s.Ssim!.Value));

    /// <summary>Per-operator selections and successes summed over all seeds (DFlare strategies).</summary>
    public IReadOnlyList<OperatorStat> OperatorTotals =>
        Seeds.SelectMany(s => s.OperatorStats).GroupBy(o => o.Operator)
            .Select(g => new OperatorStat(g.Key, g.Sum(x => x.Selections), g.Sum(x => x.Successes))).ToArray();

    /// <summary>The median of a sequence (mean of the middle two for an even count), or null when it is empty.</summary>
    public static double? Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return null;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
