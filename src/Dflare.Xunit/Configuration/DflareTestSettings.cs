using System.Globalization;
using System.Reflection;
using Dflare.Reports;

namespace Dflare.Xunit;

/// <summary>
/// Run-wide settings that override what the attributes say. They come from the test assembly's
/// <c>[AssemblyMetadata("Dflare.*", ...)]</c> (written by the MSBuild integration from <c>Dflare*</c> properties) and,
/// above that, from environment variables (<c>DFLARE_BUDGET</c>, <c>DFLARE_RUN_SEED</c>, <c>DFLARE_STRATEGY</c>,
/// <c>DFLARE_ACCEPT</c>, <c>DFLARE_REPORT_DIR</c>, <c>DFLARE_FAIL_ON_DEVIATION</c>, <c>DFLARE_SHARD</c>, <c>DFLARE_MIN_MARGIN</c>,
/// <c>DFLARE_MAX_LINF</c>, <c>DFLARE_MIN_SSIM</c>, <c>DFLARE_MAX_DEVIATION_RATE</c>, <c>DFLARE_FAIL_ON_FIXED</c>).
/// </summary>
public sealed record DflareTestSettings
{
    /// <summary>Budget per seed for every pair (null: each attribute's own).</summary>
    public int? Budget { get; init; }
    /// <summary>Run seed for every pair (null: each attribute's own).</summary>
    public long? RunSeed { get; init; }
    /// <summary>Strategy for every pair (null: each attribute's own).</summary>
    public string? Strategy { get; init; }
    /// <summary>Accept new snapshots instead of failing (never on CI).</summary>
    public bool AcceptSnapshots { get; init; }
    /// <summary>Where reports are written (null: no report).</summary>
    public string? ReportDirectory { get; init; }
    /// <summary>Where the report directory will be published (absolute http(s) URL; null: pictures linked relatively).</summary>
    public string? ReportImageBaseUrl { get; init; }
    /// <summary>False = report-only mode: deviations are recorded and reported but do not fail tests.</summary>
    public bool FailOnDeviation { get; init; } = true;
    /// <summary>Minimum top-1 margin of both models for every pair (null: each attribute's own).</summary>
    public double? MinMargin { get; init; }
    /// <summary>L∞ bound for every pair, 0 = unbounded (null: each attribute's own).</summary>
    public int? MaxLInf { get; init; }
    /// <summary>SSIM bound for every pair, 0 = none (null: each attribute's own).</summary>
    public double? MinSsim { get; init; }
    /// <summary>Deviation-rate threshold for every pair, negative = off (null: each attribute's own).</summary>
    public double? MaxDeviationRate { get; init; }
    /// <summary>Fixed deviations fail for every pair (null: each attribute's own).</summary>
    public bool? FailOnFixed { get; init; }
    /// <summary>Run only shard <c>Index</c> (1-based) of <c>Count</c> deterministic slices of the seeds.</summary>
    public (int Index, int Count)? Shard { get; init; }
    /// <summary>
    /// Check each pair on its unmodified seeds before searching (<see cref="Models.SanityCheck"/>; default true):
    /// an original near chance, or a pair that disagrees on many seeds, fails the case instead of reporting noise.
    /// </summary>
    public bool SanityCheck { get; init; } = true;

    private static readonly Dictionary<Assembly, DflareTestSettings> Cache = [];

    /// <summary>Settings for the test assembly (cached).</summary>
    /// <exception cref="DflareException">A value is malformed.</exception>
    public static DflareTestSettings For(Assembly assembly)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(assembly, out var s)) Cache[assembly] = s = Read(assembly, Environment.GetEnvironmentVariable);
            return s;
        }
    }

    /// <summary>Reads the settings from assembly metadata and an environment lookup.</summary>
    /// <exception cref="DflareException">A value is malformed.</exception>
    public static DflareTestSettings Read(Assembly assembly, Func<string, string?> env)
    {
        var meta = assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Where(a => a.Key.StartsWith("Dflare.", StringComparison.Ordinal))
            .GroupBy(a => a.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        string? Get(string key, string envName)
        {
            var e = env(envName);
            if (!string.IsNullOrWhiteSpace(e)) return e.Trim();
            return meta.TryGetValue("Dflare." + key, out var v) && !string.IsNullOrWhiteSpace(v) ? v!.Trim() : null;
        }
        return new DflareTestSettings
        {
            Budget = Get("Budget", "DFLARE_BUDGET") is { } b ? ParseBudget(b) : null,
            RunSeed = Get("RunSeed", "DFLARE_RUN_SEED") is { } r ? long.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rs) ? rs : throw new DflareException($"DflareRunSeed '{r}' is not an integer.") : null,
            Strategy = Get("Strategy", "DFLARE_STRATEGY"),
            AcceptSnapshots = Get("AcceptSnapshots", "DFLARE_ACCEPT") is { } a && ParseBool(a, "DflareAcceptSnapshots"),
            ReportDirectory = Get("ReportDirectory", "DFLARE_REPORT_DIR"),
            ReportImageBaseUrl = ReportLinks.NormalizeBaseUrl(Get("ReportImageBaseUrl", "DFLARE_REPORT_IMAGE_BASE_URL"), "DflareReportImageBaseUrl"),
            FailOnDeviation = Get("FailOnDeviation", "DFLARE_FAIL_ON_DEVIATION") is not { } f || ParseBool(f, "DflareFailOnDeviation"),
            Shard = Get("Shard", "DFLARE_SHARD") is { } sh ? ParseShard(sh) : null,
            MinMargin = Get("MinMargin", "DFLARE_MIN_MARGIN") is { } mm ? ParseDouble(mm, "DflareMinMargin", 0, 0.999999) : null,
            MaxLInf = Get("MaxLInf", "DFLARE_MAX_LINF") is { } ml ? ParseInt(ml, "DflareMaxLInf", min: 0, max: 255) : null,
            MinSsim = Get("MinSsim", "DFLARE_MIN_SSIM") is { } ms ? ParseDouble(ms, "DflareMinSsim", 0, 1) : null,
            MaxDeviationRate = Get("MaxDeviationRate", "DFLARE_MAX_DEVIATION_RATE") is { } mr ? ParseDouble(mr, "DflareMaxDeviationRate", 0, 1) : null,
            FailOnFixed = Get("FailOnFixed", "DFLARE_FAIL_ON_FIXED") is { } ff ? ParseBool(ff, "DflareFailOnFixed") : null,
            SanityCheck = Get("SanityCheck", "DFLARE_SANITY_CHECK") is not { } sc || ParseBool(sc, "DflareSanityCheck"),
        };
    }

    /// <summary>True when seed number <paramref name="position"/> (0-based, in source order) belongs to this run's shard.</summary>
    public bool InShard(int position) => Shard is not { } s || position % s.Count == s.Index - 1;

    /// <summary>Parses <c>i/n</c> with 1 ≤ i ≤ n.</summary>
    /// <exception cref="DflareException">Malformed.</exception>
    public static (int, int) ParseShard(string text) => Dflare.Check.CheckSettings.ParseShard(text, "DflareShard");

    private static int ParseInt(string text, string what, int min, int max = int.MaxValue) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v
            : throw new DflareException(max == int.MaxValue ? $"{what} '{text}' must be an integer ≥ {min}." : $"{what} '{text}' must be an integer from {min} to {max}.");

    /// <summary><c>DflareBudget</c> as a number, checked by the one rule of <see cref="Dflare.Search.QueryBudget"/>.</summary>
    private static int ParseBudget(string text)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new DflareException($"DflareBudget '{text}' must be a whole number of model queries per seed, {Dflare.Search.QueryBudget.Rule}.");
        new Dflare.Search.QueryBudget(v).Validate("DflareBudget");
        return v;
    }

    private static double ParseDouble(string text, string what, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v
            : throw new DflareException($"{what} '{text}' must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString("0.###", CultureInfo.InvariantCulture)}.");

    private static bool ParseBool(string text, string what) => Dflare.Snapshots.SnapshotSettings.ParseBool(text, what);
}
