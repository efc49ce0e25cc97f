using System.Text.Json.Serialization;
using Dflare.Check;
using Dflare.Search;

namespace Dflare.Reports;

/// <summary>
/// The results of one gate run (one test assembly run, one shard, or several shards merged): every deviation case with
/// every seed it searched, and every QUANOS robustness check. Serialized as the report directory's <c>results.json</c>.
/// </summary>
public sealed record GateResults
{
    /// <summary>The value of <see cref="Tool"/> in a gate's <c>results.json</c>.</summary>
    public const string ToolName = "dflare gate";
    /// <summary>The current <see cref="FormatVersion"/>.</summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>Always <see cref="ToolName"/> (tells a gate's results apart from <c>dflare search</c>'s).</summary>
    public string Tool { get; init; } = ToolName;
    /// <summary>The version of this file's layout.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;
    /// <summary>The test assembly (or assemblies, comma-separated, after a merge).</summary>
    public string? Project { get; init; }
    /// <summary>When the run started (UTC).</summary>
    public DateTimeOffset Started { get; init; }
    /// <summary>When the run's report was written (UTC).</summary>
    public DateTimeOffset Finished { get; init; }
    /// <summary>The shards these results cover (<c>i/n</c>); empty for an unsharded run.</summary>
    public IReadOnlyList<string> Shards { get; init; } = [];
    /// <summary>False in report-only mode (<c>DflareFailOnDeviation=false</c>): deviations did not fail tests.</summary>
    public bool FailOnDeviation { get; init; } = true;
    /// <summary>
    /// Where the report directory will be published (e.g. a CI artifact URL), or null: the Markdown summary then links
    /// pictures as <c>URL/images/...</c> so that they open from a pull-request comment; null links them relative to
    /// the report directory. See <see cref="ReportLinks"/>.
    /// </summary>
    public string? ImageBaseUrl { get; init; }
    /// <summary>Every deviation-search case, in a stable order (test class, method, first seed).</summary>
    public IReadOnlyList<DeviationCaseRecord> Cases { get; init; } = [];
    /// <summary>Every QUANOS robustness check.</summary>
    public IReadOnlyList<RobustnessRecord> Robustness { get; init; } = [];

    /// <summary>The deviation cases grouped by model pair, pairs in order of first appearance.</summary>
    [JsonIgnore]
    public IReadOnlyList<PairSummary> Pairs =>
        Cases.GroupBy(c => (c.Original, c.Compressed)).Select(g => new PairSummary(g.Key.Original, g.Key.Compressed, g.ToList())).ToList();

    /// <summary>Seeds the check complains about (new, changed, error; fixed with FailOnFixed) plus cases that errored, over all cases.</summary>
    [JsonIgnore]
    public int Problems => Cases.Sum(c => c.Seeds.Count(s => CheckRule.IsProblem(s.State, c.Policy)) + (c.Error is null ? 0 : 1));

    /// <summary>Replaces missing (null) lists of a file read from disk with empty ones.</summary>
    public GateResults Normalized() => this with
    {
        Shards = Shards ?? [],
        Cases = (Cases ?? []).Where(c => c is not null).Select(c => c with
        {
            Seeds = (c.Seeds ?? []).Where(s => s is not null).Select(s => s with { Operators = s.Operators ?? [] }).ToList(),
            Operators = (c.Operators ?? []).Where(o => o is not null).ToList(),
            ChangedModels = c.ChangedModels ?? [],
        }).ToList(),
        Robustness = (Robustness ?? []).Where(r => r is not null).Select(r => r with { Layers = r.Layers ?? [] }).ToList(),
    };

    /// <summary>True when every case and robustness check passed.</summary>
    [JsonIgnore]
    public bool Passed => Cases.All(c => c.Passed) && Robustness.All(r => r.Passed);
}

/// <summary>One <c>[DeviationSearch]</c> test case: a pair searched on one seed or on all of its seeds.</summary>
public sealed record DeviationCaseRecord
{
    /// <summary>Unique id of the case in a run: <c>Namespace.Class.Method</c>, plus <c>[seed=ID]</c> for a per-seed case.</summary>
    public required string Id { get; init; }
    /// <summary>The test class (full name).</summary>
    public required string TestClass { get; init; }
    /// <summary>The test method.</summary>
    public required string TestMethod { get; init; }
    /// <summary>The original model's path.</summary>
    public required string Original { get; init; }
    /// <summary>The compressed model's path.</summary>
    public required string Compressed { get; init; }
    /// <summary>The seed source's path.</summary>
    public string? SeedSource { get; init; }
    /// <summary>The search strategy.</summary>
    public string Strategy { get; init; } = "dflare";
    /// <summary>Model queries per seed.</summary>
    public long Budget { get; init; }
    /// <summary>The run seed.</summary>
    public long RunSeed { get; init; }
    /// <summary>Both models' top-1 margin a deviation needed.</summary>
    public double MinMargin { get; init; }
    /// <summary>The L∞ bound of the search, in grey levels (null: unbounded).</summary>
    public int? MaxLInf { get; init; }
    /// <summary>The SSIM bound of the search (null: none).</summary>
    public double? MinSsim { get; init; }
    /// <summary>New deviations tolerated.</summary>
    public int AllowedDeviations { get; init; }
    /// <summary>The deviation rate above which the case fails (null: new deviations fail instead).</summary>
    public double? MaxDeviationRate { get; init; }
    /// <summary>Fixed deviations fail too.</summary>
    public bool FailOnFixed { get; init; }
    /// <summary>The rule's settings of this case.</summary>
    [JsonIgnore]
    public CheckPolicy Policy => new(AllowedDeviations, MaxDeviationRate, FailOnFixed);
    /// <summary>SHA-256 of the original model file.</summary>
    public string? OriginalSha256 { get; init; }
    /// <summary>SHA-256 of the compressed model file.</summary>
    public string? CompressedSha256 { get; init; }
    /// <summary>Model files that changed since some snapshots were accepted (sentences).</summary>
    public IReadOnlyList<string> ChangedModels { get; init; } = [];
    /// <summary>Why the case could not run at all (a configuration error, an exception); null when it ran.</summary>
    public string? Error { get; init; }
    /// <summary>The shard of the run that searched this case (<c>i/n</c>), if sharded.</summary>
    public string? Shard { get; init; }
    /// <summary>Wall time of the search, in seconds.</summary>
    public double Seconds { get; init; }
    /// <summary>The test's verdict (in report-only mode a deviation still passes).</summary>
    public bool Passed { get; init; }
    /// <summary>The test's message (the failure message when it failed).</summary>
    public string? Message { get; init; }
    /// <summary>Every seed searched, in seed order.</summary>
    public IReadOnlyList<SeedRecord> Seeds { get; init; } = [];
    /// <summary>Per-operator selections and successes summed over the case's seeds (DFlare strategies).</summary>
    public IReadOnlyList<OperatorRecord> Operators { get; init; } = [];
}

/// <summary>What the search found on one seed.</summary>
public sealed record SeedRecord
{
    /// <summary>The seed's id in its source.</summary>
    public required string Id { get; init; }
    /// <summary>The seed's position in its source.</summary>
    public int Index { get; init; }
    /// <summary>What the check concluded (clean, known, new, changed, fixed, error).</summary>
    public required SeedState State { get; init; }
    /// <summary>The search's outcome: <c>triggered</c>, <c>already-deviating</c>, <c>not-found</c>, or <c>replayed</c> when only the accepted input was replayed.</summary>
    public SearchStatus? Status { get; init; }
    /// <summary>Model queries spent (both models).</summary>
    public long Queries { get; init; }
    /// <summary>Wall time attributed to the seed, in seconds.</summary>
    public double Seconds { get; init; }
    /// <summary>The seed's true class, when the source has labels.</summary>
    public string? TrueClass { get; init; }
    /// <summary>The original model's class on the unmodified seed.</summary>
    public string? SeedClass { get; init; }
    /// <summary>The compressed model's class on the unmodified seed.</summary>
    public string? SeedCompressedClass { get; init; }
    /// <summary>The original model's top-1 margin on the input (severity).</summary>
    public double? OriginalMargin { get; init; }
    /// <summary>The compressed model's top-1 margin on the input (severity).</summary>
    public double? CompressedMargin { get; init; }
    /// <summary>The accepted original class of a replayed snapshot.</summary>
    public string? AcceptedOriginalClass { get; init; }
    /// <summary>The accepted compressed class of a replayed snapshot.</summary>
    public string? AcceptedCompressedClass { get; init; }
    /// <summary>A sentence about the finding (what changed, what went wrong).</summary>
    public string? Note { get; init; }
    /// <summary>The original model's class on the triggering input (or on the seed when it already deviates).</summary>
    public string? OriginalClass { get; init; }
    /// <summary>The compressed model's class on the triggering input (or on the seed when it already deviates).</summary>
    public string? CompressedClass { get; init; }
    /// <summary>Largest change from the seed, in pixel levels.</summary>
    public int? LInf { get; init; }
    /// <summary>Euclidean distance to the seed, in pixel levels.</summary>
    public double? L2 { get; init; }
    /// <summary>SSIM to the seed.</summary>
    public double? Ssim { get; init; }
    /// <summary>The operators of the accepted mutations, in order.</summary>
    public IReadOnlyList<string> Operators { get; init; } = [];
    /// <summary>The picture (seed | triggering input | difference), relative to the report directory, with <c>/</c> separators.</summary>
    public string? Image { get; init; }
    /// <summary>The received snapshot image awaiting review, when one was written.</summary>
    public string? ReceivedSnapshot { get; init; }

    /// <summary>True when the seed's input deviates now (known, new or changed).</summary>
    [JsonIgnore]
    public bool Deviates => State.Deviates();
}

/// <summary>How often a mutation operator was selected and how often its mutant was kept.</summary>
/// <param name="Operator">The operator's name.</param>
/// <param name="Selections">Times selected.</param>
/// <param name="Successes">Times its mutant was kept (or triggered).</param>
public sealed record OperatorRecord(string Operator, long Selections, long Successes);

/// <summary>
/// One QUANOS robustness check of a compressed model: accuracy on clean and adversarial inputs, the median ε at which
/// an input's label flips, and the per-layer adversarial noise sensitivity (ANS) with the bits given to each layer.
/// </summary>
public sealed record RobustnessRecord
{
    /// <summary>Unique id of the check in a run, e.g. <c>Namespace.Class.Method</c> plus its arguments.</summary>
    public required string Id { get; init; }
    /// <summary>The test class (full name).</summary>
    public required string TestClass { get; init; }
    /// <summary>The test method.</summary>
    public required string TestMethod { get; init; }
    /// <summary>The model checked.</summary>
    public required string Model { get; init; }
    /// <summary>Its original (uncompressed) model, when the check compares the two.</summary>
    public string? Original { get; init; }
    /// <summary>The seed source's path.</summary>
    public string? SeedSource { get; init; }
    /// <summary>Seeds evaluated.</summary>
    public int Seeds { get; init; }
    /// <summary>The attack's ε (L∞, in the model's input units or pixel fraction, as the check defines).</summary>
    public double Epsilon { get; init; }
    /// <summary>Top-1 accuracy on the clean seeds (0–1).</summary>
    public double? CleanAccuracy { get; init; }
    /// <summary>Top-1 accuracy on the adversarial inputs (0–1).</summary>
    public double? AdversarialAccuracy { get; init; }
    /// <summary>The original model's adversarial accuracy at the same ε, when compared.</summary>
    public double? OriginalAdversarialAccuracy { get; init; }
    /// <summary>Median smallest ε that flips a seed's label (null when none flipped).</summary>
    public double? MedianFlipEpsilon { get; init; }
    /// <summary>Per-layer sensitivity, in graph order.</summary>
    public IReadOnlyList<LayerSensitivityRecord> Layers { get; init; } = [];
    /// <summary>Model queries spent.</summary>
    public long Queries { get; init; }
    /// <summary>Wall time in seconds.</summary>
    public double Seconds { get; init; }
    /// <summary>The check's verdict.</summary>
    public bool Passed { get; init; } = true;
    /// <summary>The check's message (the failure message when it failed).</summary>
    public string? Message { get; init; }
    /// <summary>The shard of the run that made this check (<c>i/n</c>), if sharded.</summary>
    public string? Shard { get; init; }
}

/// <summary>One layer's row of a QUANOS check.</summary>
/// <param name="Name">The layer (node or weight) name.</param>
/// <param name="Op">The ONNX operator (Conv, Gemm, MatMul, …).</param>
/// <param name="Ans">Adversarial noise sensitivity: how much adversarial noise at the input is amplified at this layer.</param>
/// <param name="Bits">Bits given to the layer's weights (null when not quantized or unknown).</param>
public sealed record LayerSensitivityRecord(string Name, string Op, double Ans, int? Bits);
