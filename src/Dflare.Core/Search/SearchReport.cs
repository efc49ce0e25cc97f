using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Images;
using Dflare.Search.Mutation;

namespace Dflare.Search;

/// <summary>What a report says about where the run's inputs came from.</summary>
public sealed record SearchReportContext
{
    /// <summary>The original model's path.</summary>
    public string? Original { get; init; }
    /// <summary>The compressed model's path.</summary>
    public string? Compressed { get; init; }
    /// <summary>The seed source's path.</summary>
    public string? SeedSource { get; init; }
    /// <summary>Seeds skipped at the start of the source.</summary>
    public int Offset { get; init; }
    /// <summary>The seed limit, if any.</summary>
    public int? Limit { get; init; }
    /// <summary>Class names in label order, when known.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>The number of seeds sampled across the classes (<c>--sample</c>), if the run sampled.</summary>
    public int? Sample { get; init; }
    /// <summary>The effective preprocessing of each model, with where each value came from (<see cref="Models.ModelInfo.PreprocessingJson"/>).</summary>
    public IReadOnlyList<JsonObject>? Preprocessing { get; init; }

    /// <summary>The name of class <paramref name="label"/>, or its number when there are no names.</summary>
    public string ClassName(int label) =>
        ClassNames is { } n && label >= 0 && label < n.Count ? n[label] : label.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Writes a run's <c>results.json</c> and, for each triggering input, <c>triggers/seed-ID.png</c> (seed | triggering
/// input | amplified difference, captioned) and <c>triggers/seed-ID-input.png</c> (the triggering input itself, at model
/// geometry). Everything is written atomically. Apart from the <c>seconds</c> fields, the same run gives the same bytes.
/// </summary>
public static class SearchReport
{
    /// <summary>The file name of results in the output folder.</summary>
    public const string ResultsFile = "results.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the report into <paramref name="directory"/> (created if needed); returns the results.json path.</summary>
    public static string Write(SearchRunResult run, string directory, SearchReportContext context)
    {
        Directory.CreateDirectory(directory);
        foreach (var s in run.Seeds.Where(s => s.Trigger is not null))
        {
            var (picture, input) = FileNames(s.SeedId);
            Picture(s, context).SavePng(Path.Combine(directory, picture));
            s.Trigger!.SavePng(Path.Combine(directory, input));
        }
        var path = Path.Combine(directory, ResultsFile);
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(ToJson(run, context).ToJsonString(Indented) + "\n"));
        return path;
    }

    /// <summary>The picture and raw-input file names (relative to the output folder) for a seed id.</summary>
    public static (string Picture, string Input) FileNames(string seedId)
    {
        var safe = new string(seedId.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray());
        return ($"triggers/seed-{safe}.png", $"triggers/seed-{safe}-input.png");
    }

    /// <summary>The captioned picture of a triggering input: seed | input | amplified signed difference (mid-grey = unchanged).</summary>
    /// <exception cref="ArgumentException">The seed has no triggering input.</exception>
    public static Image Picture(SeedSearchResult s, SearchReportContext context)
    {
        var trigger = s.Trigger ?? throw new ArgumentException($"Seed {s.SeedId} has no triggering input.");
        var (diff, factor) = TriggerPicture.SignedDifference(s.SeedImage, trigger);
        string P(float[] p, int label) => $"{context.ClassName(label)} {p[label].ToString("F2", CultureInfo.InvariantCulture)}";
        return TriggerPicture.Compose(
        [
            (s.SeedImage, [$"seed {s.SeedId}", $"orig: {P(s.SeedOriginalProbabilities, s.SeedOriginalLabel)}", $"comp: {P(s.SeedCompressedProbabilities, s.SeedCompressedLabel)}"]),
            (trigger, ["triggering input", $"orig: {P(s.OriginalProbabilities!, s.OriginalLabel!.Value)}", $"comp: {P(s.CompressedProbabilities!, s.CompressedLabel!.Value)}"]),
            (diff, [TriggerPicture.SignedCaption(factor),
                    $"Linf {s.LInf} L2 {s.L2!.Value.ToString("F0", CultureInfo.InvariantCulture)}",
                    $"SSIM {s.Ssim!.Value.ToString("F3", CultureInfo.InvariantCulture)}"]),
        ]);
    }

    // The square settings; "toward" only when it is not the default, so files written before it existed stay the same.
    private static JsonObject SquareJson(SearchSettings st)
    {
        var square = new JsonObject
        {
            ["objective"] = Square.SquareSettings.Name(st.Square.Resolve(st.MinMargin)),
            ["pInit"] = st.Square.PInit,
            ["startFromSeed"] = st.Square.StartFromSeed,
        };
        if (st.Square.Toward != Square.SquareToward.Original) square["toward"] = Square.SquareSettings.Name(st.Square.Toward);
        return square;
    }

    /// <summary>The results as JSON: <c>run</c> (settings), <c>summary</c>, <c>operators</c> and <c>seeds</c>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="context">Where the inputs came from.</param>
    /// <param name="withSeeds">False to leave <c>seeds</c> empty (a writer that streams them one by one with <see cref="Seed"/>).</param>
    public static JsonObject ToJson(SearchRunResult run, SearchReportContext context, bool withSeeds = true)
    {
        var st = run.Settings;
        var settings = new JsonObject
        {
            ["original"] = context.Original,
            ["compressed"] = context.Compressed,
            ["seedSource"] = context.SeedSource,
            ["offset"] = context.Offset,
            ["limit"] = context.Limit,
            ["sample"] = context.Sample,
            ["preprocessing"] = context.Preprocessing is { } pre ? new JsonArray(pre.Select(p => (JsonNode)p.DeepClone()).ToArray()) : null,
            ["strategy"] = st.Strategy.Name(),
            ["budget"] = st.Budget.Queries,
            ["timeLimitSeconds"] = st.TimeLimit?.TotalSeconds,
            ["runSeed"] = st.RunSeed,
            ["operators"] = MutationOperators.Spec(st.Operators),
            ["maxLinf"] = st.Bound.MaxLInf,
            ["minSsim"] = st.Bound.MinSsim,
            ["minMargin"] = st.MinMargin,
            ["noveltyThreshold"] = st.NoveltyThreshold,
            ["gapEpsilon"] = st.GapEpsilon,
            ["skipUnchanged"] = st.SkipUnchanged,
            ["shrinkFraction"] = st.ShrinkFraction,
            ["square"] = SquareJson(st),
            ["diffChaser"] = new JsonObject
            {
                ["population"] = st.DiffChaser.Population,
                ["mutationRate"] = st.DiffChaser.MutationRate,
                ["mutationStep"] = st.DiffChaser.MutationStep,
                ["crossoverRate"] = st.DiffChaser.CrossoverRate,
                ["tournamentSize"] = st.DiffChaser.TournamentSize,
                ["uncertaintyWeight"] = st.DiffChaser.UncertaintyWeight,
            },
        };
        var summary = new JsonObject
        {
            ["strategy"] = st.Strategy.Name(),
            ["seeds"] = run.SeedCount,
            ["triggered"] = run.Triggered,
            ["alreadyDeviating"] = run.AlreadyDeviating,
            ["notFound"] = run.NotFound,
            ["successRate"] = Round(run.SuccessRate, 4),
            ["totalQueries"] = run.TotalQueries,
            ["medianQueriesPerTrigger"] = run.MedianQueriesPerTrigger,
            ["meanQueriesPerTrigger"] = Round(run.MeanQueriesPerTrigger, 2),
            ["medianLinf"] = run.MedianLInf,
            ["medianL2"] = Round(run.MedianL2, 3),
            ["medianSsim"] = Round(run.MedianSsim, 4),
            ["shrinkQueries"] = run.ShrinkQueries,
            ["medianLinfBeforeShrink"] = run.MedianLInfBeforeShrink,
            ["medianSsimBeforeShrink"] = Round(run.MedianSsimBeforeShrink, 4),
            ["modelQueries"] = run.ModelQueries,
            ["seconds"] = Math.Round(run.Seconds, 3),
        };
        var operators = new JsonArray(run.OperatorTotals.Select(o => (JsonNode)new JsonObject
        {
            ["operator"] = o.Operator,
            ["selections"] = o.Selections,
            ["successes"] = o.Successes,
            ["successRatio"] = o.Selections == 0 ? null : Math.Round((double)o.Successes / o.Selections, 4),
        }).ToArray());
        var seeds = withSeeds ? new JsonArray(run.Seeds.Select(s => (JsonNode)Seed(s, context)).ToArray()) : [];
        return new JsonObject
        {
            ["tool"] = "dflare search",
            ["run"] = settings,
            ["summary"] = summary,
            ["operators"] = operators,
            ["seeds"] = seeds,
        };
    }

    /// <summary>One entry of <c>seeds</c>.</summary>
    public static JsonObject Seed(SeedSearchResult s, SearchReportContext context)
    {
        var (picture, input) = FileNames(s.SeedId);
        bool hasTrigger = s.Trigger is not null;
        return new JsonObject
        {
            ["id"] = s.SeedId,
            ["index"] = s.SeedIndex,
            ["status"] = s.Status.Word(),
            ["stopReason"] = s.StopReason,
            ["queries"] = s.Queries,
            ["originalQueries"] = s.OriginalQueries,
            ["shrink"] = s.Shrink is { } sh ? new JsonObject
            {
                ["queries"] = sh.Queries, ["nearerFound"] = sh.NearerFound, ["probes"] = sh.Probes, ["accepted"] = sh.Accepted,
                ["l0Before"] = sh.L0Before, ["l2Before"] = Math.Round(sh.L2Before, 4), ["linfBefore"] = sh.LInfBefore,
                ["ssimBefore"] = Math.Round(sh.SsimBefore, 6),
            } : null,
            ["iterations"] = s.Iterations,
            ["seconds"] = Math.Round(s.Seconds, 4),
            ["trueLabel"] = s.TrueLabel,
            ["trueClass"] = s.TrueLabel is { } t ? context.ClassName(t) : null,
            ["seedOriginalLabel"] = s.SeedOriginalLabel,
            ["seedOriginalClass"] = context.ClassName(s.SeedOriginalLabel),
            ["seedCompressedLabel"] = s.SeedCompressedLabel,
            ["seedCompressedClass"] = context.ClassName(s.SeedCompressedLabel),
            ["originalLabel"] = s.OriginalLabel,
            ["originalClass"] = s.OriginalLabel is { } o ? context.ClassName(o) : null,
            ["compressedLabel"] = s.CompressedLabel,
            ["compressedClass"] = s.CompressedLabel is { } c ? context.ClassName(c) : null,
            ["originalProbabilities"] = Floats(s.OriginalProbabilities),
            ["compressedProbabilities"] = Floats(s.CompressedProbabilities),
            ["seedOriginalProbabilities"] = Floats(s.SeedOriginalProbabilities),
            ["seedCompressedProbabilities"] = Floats(s.SeedCompressedProbabilities),
            ["l0"] = s.L0,
            ["l2"] = s.L2 is { } l2 ? Math.Round(l2, 4) : null,
            ["linf"] = s.LInf,
            ["ssim"] = s.Ssim is { } ss ? Math.Round(ss, 6) : null,
            ["operatorSequence"] = new JsonArray(s.Mutations.Select(m => (JsonNode)JsonValue.Create(m.Operator)!).ToArray()),
            ["mutations"] = new JsonArray(s.Mutations.Select(m => (JsonNode)new JsonObject { ["mutant"] = m.Mutant, ["operator"] = m.Operator }).ToArray()),
            ["operatorStats"] = new JsonArray(s.OperatorStats.Select(o => (JsonNode)new JsonObject
            {
                ["operator"] = o.Operator, ["selections"] = o.Selections, ["successes"] = o.Successes,
            }).ToArray()),
            ["tiesOrBelowMargin"] = s.TiesOrBelowMargin,
            ["image"] = hasTrigger ? picture : null,
            ["input"] = hasTrigger ? input : null,
        };
    }

    private static JsonArray? Floats(float[]? values) =>
        values is null ? null : new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static double? Round(double? v, int digits) => v is { } x ? Math.Round(x, digits) : null;
}
