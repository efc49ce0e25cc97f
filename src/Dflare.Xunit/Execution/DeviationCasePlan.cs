using System.Reflection;
using System.Text.Json;
using Dflare.Check;
using Dflare.Datasets;
using Dflare.Snapshots;

namespace Dflare.Xunit.Execution;

/// <summary>
/// What a <see cref="DeviationSearchAttribute"/> asks for, resolved once at discovery and carried by each of its
/// cases (serialised as JSON with the case, as xunit.v3's own cases carry their arguments): the paths as written, and
/// the check's settings with the files resolved. The run-wide settings (<see cref="DflareTestSettings"/>: MSBuild
/// properties and <c>DFLARE_*</c> variables) are applied when the case runs (<see cref="ForRun"/>), so a variable set
/// for the run counts even when the cases were discovered earlier.
/// </summary>
public sealed record DeviationCasePlan
{
    /// <summary>The original model as written in the attribute.</summary>
    public required string Original { get; init; }
    /// <summary>The compressed model as written in the attribute.</summary>
    public required string Compressed { get; init; }
    /// <summary>The seed source as written in the attribute.</summary>
    public string? Seeds { get; init; }
    /// <summary>The attribute's check, with resolved files and no run-wide setting applied; null when the configuration is wrong.</summary>
    public CheckSettings? Check { get; init; }

    /// <summary>The paths as written, for a case whose configuration is wrong.</summary>
    public static DeviationCasePlan Declared(DeviationSearchAttribute a) => new() { Original = a.Original, Compressed = a.Compressed, Seeds = a.Seeds };

    /// <summary>Resolves the attribute's files and turns its words into check settings.</summary>
    /// <exception cref="DflareException">A value is malformed or a file does not exist (<c>MissingInputException</c>).</exception>
    public static DeviationCasePlan Create(DeviationSearchAttribute a, Type testClass, MethodInfo method)
    {
        var original = PathResolver.ForAttribute(a.Original, "original model", a.SourceFile);
        var compressed = PathResolver.ForAttribute(a.Compressed, "compressed model", a.SourceFile);
        if (string.IsNullOrWhiteSpace(a.Seeds))
            throw new DflareException($"[DeviationSearch] on {testClass.Name}.{method.Name} needs Seeds = \"folder, IDX or CIFAR-10 file\".");
        var seeds = PathResolver.ForAttribute(a.Seeds, "seed source", a.SourceFile);
        if (a.Limit < 0 || a.Offset < 0 || a.Sample < 0) throw new DflareException($"Limit, Offset and Sample must not be negative (got {a.Limit}, {a.Offset}, {a.Sample}).");
        var dir = SnapshotDirectory(a.SourceFile);
        return Declared(a) with
        {
            Check = new CheckSettings
            {
                Original = original,
                Compressed = compressed,
                Seeds = seeds,
                ModelOptions = a.ToModelOptions(),
                Offset = a.Offset,
                Limit = a.Limit > 0 ? a.Limit : null,
                Sample = a.Sample > 0 ? a.Sample : null,
                Budget = a.Budget,
                RunSeed = unchecked((ulong)a.RunSeed),
                Strategy = a.Strategy,
                TimeLimit = a.TimeLimitSeconds > 0 ? TimeSpan.FromSeconds(a.TimeLimitSeconds) : null,
                MinMargin = a.MinMargin,
                MaxLInf = a.MaxLInf > 0 ? a.MaxLInf : null,
                MinSsim = a.MinSsim > 0 ? a.MinSsim : null,
                Policy = new CheckPolicy(a.AllowedDeviations, a.MaxDeviationRate >= 0 ? a.MaxDeviationRate : null, a.FailOnFixed),
                SnapshotDirectory = dir,
                SnapshotName = $"{testClass.Name}.{method.Name}",
                AcceptHint = $"To accept after review: `dflare accept {dir}` (the tool: `dotnet tool install -g Dflare.Cli`), or run once with DFLARE_ACCEPT=1 (`dotnet test -p:DflareAcceptSnapshots=true`) on a developer machine; never on CI.",
            },
        };
    }

    /// <summary>
    /// The settings of one run of the case: the run-wide settings over the attribute's (each set one replaces the
    /// attribute's value; an L∞ or SSIM bound of 0 and a negative rate mean none), limited to the seed at
    /// <paramref name="seedPosition"/> (−1: the whole selection).
    /// </summary>
    /// <exception cref="InvalidOperationException">The plan has no check (its configuration is wrong).</exception>
    public CheckSettings ForRun(DflareTestSettings s, int seedPosition)
    {
        var c = Check ?? throw new InvalidOperationException("The case's configuration is wrong; it has no check to run.");
        return c with
        {
            Shard = s.Shard,
            SeedPosition = seedPosition >= 0 ? seedPosition : null,
            Budget = s.Budget is { } b ? b : c.Budget,
            RunSeed = s.RunSeed is { } r ? unchecked((ulong)r) : c.RunSeed,
            Strategy = s.Strategy ?? c.Strategy,
            MinMargin = s.MinMargin ?? c.MinMargin,
            MaxLInf = s.MaxLInf is { } l ? (l > 0 ? l : null) : c.MaxLInf,
            MinSsim = s.MinSsim is { } m ? (m > 0 ? m : null) : c.MinSsim,
            Policy = c.Policy with
            {
                MaxDeviationRate = s.MaxDeviationRate is { } rate ? (rate >= 0 ? rate : null) : c.Policy.MaxDeviationRate,
                FailOnFixed = s.FailOnFixed ?? c.Policy.FailOnFixed,
            },
            FailOnDeviation = s.FailOnDeviation,
            SanityCheck = s.SanityCheck,
            Accept = s.AcceptSnapshots || SnapshotSettings.AcceptFromEnvironment(),
        };
    }

    /// <summary>The plan as JSON (how a case carries it).</summary>
    public string ToJson() => CasePlanJson.Write(this);

    /// <summary>Reads a plan written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">Not a plan.</exception>
    public static DeviationCasePlan FromJson(string? json) => CasePlanJson.Read<DeviationCasePlan>(json);

    private static string SnapshotDirectory(string? sourceFile)
    {
        var dir = sourceFile is { } f ? Path.GetDirectoryName(f) : null;
        return dir is not null && Directory.Exists(dir)
            ? Path.Combine(dir, "Snapshots")
            : Path.Combine(AppContext.BaseDirectory, "Snapshots");
    }
}

/// <summary>The seeds of a deviation attribute's cases: the sample (the same for every run seed) or offset and limit applied, then the shard.</summary>
internal static class CaseSeeds
{
    /// <summary>The selected seeds (position in the source, id), and how many there are before sharding.</summary>
    public static (IReadOnlyList<(int Position, string Id)> Seeds, int Unsharded) Select(CheckSettings check, DflareTestSettings settings)
    {
        var source = SeedSource.Open(check.Seeds);
        var positions = source.Select(check.Offset, check.Limit, check.Sample, DeviationCheck.SampleSeed);
        var list = new List<(int, string)>();
        for (int k = 0; k < positions.Count; k++)
            if (settings.InShard(k)) list.Add((positions[k], IdAt(source, positions[k])));
        return (list, positions.Count);
    }

    private static string IdAt(SeedSource source, int index) =>
        source is ImageFolderSeedSource folder ? folder.IdAt(index) : index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
