using Dflare.Images;
using Dflare.Reports;
using Dflare.Search;

namespace Dflare.Check;

/// <summary>Turns a check's verdict (or its failure to run) into the report's <see cref="DeviationCaseRecord"/>.</summary>
public static class CheckRecord
{
    /// <summary>The record of a check that ran.</summary>
    /// <param name="verdict">The verdict.</param>
    /// <param name="id">The case's id in the run.</param>
    /// <param name="testClass">The test class (full name), or the command.</param>
    /// <param name="testMethod">The test method, or the pair's name.</param>
    /// <param name="shard">The shard of the run (<c>i/n</c>) or null.</param>
    /// <param name="savePicture">Saves a finding's picture under a name and returns its path relative to the report directory (null: no pictures).</param>
    public static DeviationCaseRecord From(CheckVerdict verdict, string id, string testClass, string testMethod, string? shard,
        Func<string, Image, string?>? savePicture)
    {
        var s = verdict.Settings;
        string? N(int? l) => l is { } v ? verdict.ClassName(v) : null;
        var seeds = verdict.Findings.Select(f => new SeedRecord
        {
            Id = f.SeedId,
            Index = f.Index,
            State = f.State,
            Status = f.SearchStatus ?? (f.AcceptedLabels is not null ? SearchStatus.Replayed : null),
            Queries = f.Queries,
            Seconds = Math.Round(f.Seconds, 4),
            TrueClass = N(f.TrueLabel),
            SeedClass = N(f.SeedOriginalLabel),
            SeedCompressedClass = N(f.SeedCompressedLabel),
            OriginalClass = N(f.OriginalLabel),
            CompressedClass = N(f.CompressedLabel),
            OriginalMargin = f.OriginalMargin is { } a ? Math.Round(a, 4) : null,
            CompressedMargin = f.CompressedMargin is { } b ? Math.Round(b, 4) : null,
            AcceptedOriginalClass = f.AcceptedLabels is { } al ? N(al.Original) : null,
            AcceptedCompressedClass = f.AcceptedLabels is { } ac ? N(ac.Compressed) : null,
            LInf = f.LInf,
            L2 = f.L2 is { } l2 ? Math.Round(l2, 3) : null,
            Ssim = f.Ssim is { } ss ? Math.Round(ss, 4) : null,
            Operators = f.Operators,
            Note = f.Note,
            Image = f.Input is not null && savePicture is not null && DeviationCheck.Picture(f, verdict.ClassNames) is { } pic
                ? savePicture($"{id}-seed-{f.SeedId}", pic) : null,
            ReceivedSnapshot = f.ReceivedImage,
        }).ToList();
        return new DeviationCaseRecord
        {
            Id = id,
            TestClass = testClass,
            TestMethod = testMethod,
            Original = Path.GetFullPath(s.Original),
            Compressed = Path.GetFullPath(s.Compressed),
            SeedSource = Path.GetFullPath(s.Seeds),
            Strategy = s.Strategy,
            Budget = s.Budget,
            RunSeed = unchecked((long)s.RunSeed),
            MinMargin = s.MinMargin,
            MaxLInf = s.MaxLInf,
            MinSsim = s.MinSsim,
            AllowedDeviations = s.Policy.AllowedDeviations,
            MaxDeviationRate = s.Policy.MaxDeviationRate,
            FailOnFixed = s.Policy.FailOnFixed,
            OriginalSha256 = verdict.OriginalSha256,
            CompressedSha256 = verdict.CompressedSha256,
            ChangedModels = verdict.ChangedModels,
            Shard = shard,
            Seconds = Math.Round(verdict.Seconds, 3),
            Passed = verdict.Passed,
            Message = verdict.Message,
            Seeds = seeds,
            Operators = verdict.Operators.Select(o => new OperatorRecord(o.Operator, o.Selections, o.Successes)).ToList(),
        };
    }

    /// <summary>The record of a check that could not run (a configuration error, an exception): an error in every report.</summary>
    public static DeviationCaseRecord ForError(string id, string testClass, string testMethod, string original, string compressed, string? seeds,
        string? shard, string error) => new()
    {
        Id = id,
        TestClass = testClass,
        TestMethod = testMethod,
        Original = original,
        Compressed = compressed,
        SeedSource = seeds,
        Shard = shard,
        Passed = false,
        Error = error,
        Message = error,
    };
}
