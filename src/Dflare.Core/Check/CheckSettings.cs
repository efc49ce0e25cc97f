using System.Globalization;
using Dflare.Models;
using Dflare.Search;

namespace Dflare.Check;

/// <summary>
/// Everything a deviation check needs: the pair, the seeds, the search, what counts as a meaningful deviation, what
/// fails the check and where the accepted triggering inputs live. The xUnit attribute, the MSBuild item and
/// <c>dflare check</c> all fill this in.
/// </summary>
public sealed record CheckSettings
{
    /// <summary>The original model (.onnx).</summary>
    public required string Original { get; init; }
    /// <summary>The compressed model (.onnx).</summary>
    public required string Compressed { get; init; }
    /// <summary>The seed images: a folder (labels.csv optional), an IDX file or a CIFAR-10 .bin file.</summary>
    public required string Seeds { get; init; }
    /// <summary>A labels file when not found beside the seeds.</summary>
    public string? Labels { get; init; }
    /// <summary>Preprocessing over the models' sidecars.</summary>
    public ModelOptions ModelOptions { get; init; } = new();

    /// <summary>Skip this many seeds first.</summary>
    public int Offset { get; init; }
    /// <summary>Use at most this many seeds (null: all).</summary>
    public int? Limit { get; init; }
    /// <summary>
    /// Check this many seeds spread across the classes instead of an offset/limit slice. The sample does not depend on the
    /// run seed, so runs with other run seeds check the same seeds and their verdicts compare.
    /// </summary>
    public int? Sample { get; init; }
    /// <summary>Run only the i-th of n deterministic slices of the seeds (after offset and limit).</summary>
    public (int Index, int Count)? Shard { get; init; }
    /// <summary>Check only the seed at this position of the source (a per-seed test case); null: the whole selection.</summary>
    public int? SeedPosition { get; init; }

    /// <summary>Model queries per seed.</summary>
    public QueryBudget Budget { get; init; } = CheckDefaults.Budget;
    /// <summary>The run seed.</summary>
    public ulong RunSeed { get; init; }
    /// <summary>The search strategy's name.</summary>
    public string Strategy { get; init; } = CheckDefaults.Strategy;
    /// <summary>Optional wall-time limit per seed (makes results depend on the machine).</summary>
    public TimeSpan? TimeLimit { get; init; }
    /// <summary>Model batches evaluated concurrently (does not change results); null: the number of cores.</summary>
    public int? Threads { get; init; }

    /// <summary>Both models' top-1 margin at the input must be at least this (0–1).</summary>
    public double MinMargin { get; init; } = CheckDefaults.MinMargin;
    /// <summary>Mutants stay within this many grey levels of the seed (null: unbounded).</summary>
    public int? MaxLInf { get; init; } = CheckDefaults.MaxLInf;
    /// <summary>Mutants keep at least this SSIM to the seed (null: none).</summary>
    public double? MinSsim { get; init; }

    /// <summary>
    /// Before anything else, check the pair on its unmodified seeds (<see cref="Models.SanityCheck"/>: an original near
    /// chance or with near-uniform outputs, a pair that disagrees on many seeds) and refuse to run when it looks wrong.
    /// Default true; turn it off when that is intended.
    /// </summary>
    public bool SanityCheck { get; init; } = true;

    /// <summary>What fails the check.</summary>
    public CheckPolicy Policy { get; init; } = new();
    /// <summary>False: report-only, deviations are reported but never fail (errors still do).</summary>
    public bool FailOnDeviation { get; init; } = true;

    /// <summary>The folder of the accepted (<c>*.verified.*</c>) and received (<c>*.received.*</c>) snapshots; null: no snapshots.</summary>
    public string? SnapshotDirectory { get; init; }
    /// <summary>The snapshots' name prefix, <c>{Class}.{Method}</c> (each seed adds <c>.seed={id}</c>).</summary>
    public string SnapshotName { get; init; } = "check";
    /// <summary>Accept what is found (write verified snapshots, remove fixed ones) instead of failing; never on CI.</summary>
    public bool Accept { get; init; }
    /// <summary>Findings listed one by one in the message.</summary>
    public int MaxListed { get; init; } = CheckDefaults.MaxListed;
    /// <summary>How to accept, in the message (the adapter's own command).</summary>
    public string AcceptHint { get; init; } =
        "To accept after review: `dflare accept <snapshot folder>`, or run once with DFLARE_ACCEPT=1 (`dotnet test -p:DflareAcceptSnapshots=true`) on a developer machine; never on CI.";

    /// <summary>The search settings these settings make.</summary>
    public SearchSettings SearchSettings() => new()
    {
        Strategy = SearchStrategies.Parse(Strategy),
        Budget = Budget,
        RunSeed = RunSeed,
        TimeLimit = TimeLimit,
        MinMargin = MinMargin,
        Bound = new DistortionBound { MaxLInf = MaxLInf, MinSsim = MinSsim },
        Threads = Threads ?? Environment.ProcessorCount,
    };

    /// <summary>Checks every value; the message names the setting.</summary>
    /// <exception cref="SettingException">A value is out of range.</exception>
    public void Validate()
    {
        if (Offset < 0) throw new SettingException($"Offset must not be negative (got {Offset}).", nameof(Offset));
        if (Limit is < 0) throw new SettingException($"Limit must not be negative (got {Limit}).", nameof(Limit));
        if (!(MinMargin >= 0 && MinMargin < 1)) throw new SettingException($"MinMargin must be in [0, 1) (got {F(MinMargin)}).", nameof(MinMargin));
        if (MaxLInf is < 1 or > 255) throw new SettingException($"MaxLInf must be between 1 and 255 grey levels (got {MaxLInf}).", nameof(MaxLInf));
        if (MinSsim is { } s && !(s > -1 && s <= 1)) throw new SettingException($"MinSsim must be in (-1, 1] (got {F(s)}).", nameof(MinSsim));
        if (Policy.MaxDeviationRate is { } r && !(r >= 0 && r <= 1)) throw new SettingException($"MaxDeviationRate must be in [0, 1] (got {F(r)}).", "MaxDeviationRate");
        if (Policy.AllowedDeviations < 0) throw new SettingException($"AllowedDeviations must not be negative (got {Policy.AllowedDeviations}).", "AllowedDeviations");
        if (Shard is { } sh && !(sh.Count >= 1 && sh.Index >= 1 && sh.Index <= sh.Count)) throw new SettingException($"Shard must be i/n with 1 ≤ i ≤ n (got {sh.Index}/{sh.Count}).", nameof(Shard));
        if (MaxListed < 1) throw new SettingException($"MaxListed must be at least 1 (got {MaxListed}).", nameof(MaxListed));
        _ = SearchStrategies.Parse(Strategy);
        // Budget, TimeLimit and Threads are checked once, where the search takes them (same names).
        SearchSettings().Validate();
    }

    /// <summary>Parses a shard <c>i/n</c> with 1 ≤ i ≤ n.</summary>
    /// <param name="text">The text.</param>
    /// <param name="option">The option or property that gave it, for the message.</param>
    /// <exception cref="DflareException">Malformed.</exception>
    public static (int Index, int Count) ParseShard(string text, string option)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i) &&
            int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && i >= 1 && i <= n) return (i, n);
        throw new DflareException($"{option} '{text}' must be i/n with 1 ≤ i ≤ n (e.g. 1/2).");
    }

    /// <summary>What counts as a deviation, in words: <c>margin ≥ 0.1, L∞ ≤ 32</c>.</summary>
    public string DescribeMeaningful() => string.Join(", ", new[]
    {
        MinMargin > 0 ? $"margin ≥ {F(MinMargin)}" : "any label change",
        MaxLInf is { } l ? $"L∞ ≤ {l}" : null,
        MinSsim is { } s ? $"SSIM ≥ {F(s)}" : null,
    }.Where(x => x is not null));

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
