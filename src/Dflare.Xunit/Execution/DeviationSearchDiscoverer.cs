using System.Reflection;
using Dflare.Datasets;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>
/// Discovers the cases of a <see cref="DeviationSearchAttribute"/>: one per seed (listed with the seed id) or one per
/// pair. Problems with the configuration never fail discovery: they become a case that fails with the message at run time.
/// </summary>
public sealed class DeviationSearchDiscoverer : IXunitTestCaseDiscoverer
{
    /// <summary>Threshold of <see cref="CaseGranularity.Auto"/>: up to this many seeds, one case per seed.</summary>
    public const int AutoPerSeedLimit = 50;

    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<IXunitTestCase>> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, IXunitTestMethod testMethod, IFactAttribute factAttribute)
    {
        var attr = (DeviationSearchAttribute)factAttribute;
        var details = TestIntrospectionHelper.GetTestCaseDetails(discoveryOptions, testMethod, factAttribute);
        var traits = TestCaseTraits.For(testMethod);
        var pairLabel = $"{Path.GetFileName(attr.Original)} vs {Path.GetFileName(attr.Compressed)}";
        var cases = new List<IXunitTestCase>();

        DeviationTestCase Make(int seedPosition, string? seedId, string? configError, string? skip = null, CaseFiles? files = null)
        {
            var label = seedId is null ? pairLabel : $"{pairLabel}, seed {seedId}";
            var t = new Dictionary<string, HashSet<string>>(traits, StringComparer.OrdinalIgnoreCase);
            if (seedId is not null) t["Seed"] = [seedId];
            return new DeviationTestCase(seedPosition, seedId, files, configError,
                details.ResolvedTestMethod, $"{details.TestCaseDisplayName} [{label}]",
                seedId is null ? details.UniqueID : $"{details.UniqueID}|seed={seedId}",
                details.Explicit, details.SkipExceptions, skip ?? details.SkipReason, details.SkipType, details.SkipUnless, details.SkipWhen,
                t, details.SourceFilePath, details.SourceLineNumber, details.Timeout);
        }

        try
        {
            var settings = DflareTestSettings.For(testMethod.TestClass.Class.Assembly);
            var plan = CasePlan.Create(attr, settings, testMethod.Method);
            if (plan.SeedIds.Count == 0) { }
            else if (plan.PerSeed)
                foreach (var (position, id) in plan.SeedIds) cases.Add(Make(position, id, null, files: plan.Files));
            else cases.Add(Make(-1, null, null, files: plan.Files));
            if (cases.Count == 0 && settings.Shard is { } sh && plan.SeedCount > 0)
                cases.Add(Make(-1, null, null, skip: $"No seeds in shard {sh.Index}/{sh.Count}: the other shards check this pair's {plan.SeedCount} seed(s)."));
            else if (cases.Count == 0) cases.Add(Make(-1, null, "No seeds to search: the seed source, limit and offset leave none."));
        }
        catch (MissingInputException e) when (attr.SkipWhenFilesMissing)
        {
            cases.Add(Make(-1, null, null, skip: e.Message));
        }
        catch (Exception e) when (e is DflareException or IOException or UnauthorizedAccessException)
        {
            cases.Add(Make(-1, null, e.Message));
        }
        return new(cases);
    }
}

/// <summary>Traits every Dflare case carries: <c>Category=ModelRegression</c> plus the method's and class's own.</summary>
internal static class TestCaseTraits
{
    public static Dictionary<string, HashSet<string>> For(IXunitTestMethod method)
    {
        var t = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var kv in method.Traits) t[kv.Key] = new HashSet<string>(kv.Value, StringComparer.OrdinalIgnoreCase);
        if (!t.TryGetValue("Category", out var cat)) t["Category"] = cat = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        cat.Add("ModelRegression");
        return t;
    }
}

/// <summary>The files of a deviation case, resolved once at discovery and carried (serialised) by the case to its run.</summary>
/// <param name="Original">The original model's full path.</param>
/// <param name="Compressed">The compressed model's full path.</param>
/// <param name="SeedPath">The seed source's full path.</param>
public sealed record CaseFiles(string Original, string Compressed, string SeedPath);

/// <summary>What a <see cref="DeviationSearchAttribute"/> resolves to: files, seeds (after limit/offset/shard) and granularity.</summary>
internal sealed record CasePlan(string Original, string Compressed, string SeedPath, IReadOnlyList<(int Position, string Id)> SeedIds, bool PerSeed, int SeedCount)
{
    /// <summary>The files the case's run needs.</summary>
    public CaseFiles Files => new(Original, Compressed, SeedPath);

    public static CasePlan Create(DeviationSearchAttribute attr, DflareTestSettings settings, MethodInfo method)
    {
        var baseDir = AppContext.BaseDirectory;
        var sourceDir = attr.SourceFile is { } f ? Path.GetDirectoryName(f) : null;
        var original = PathResolver.Resolve(attr.Original, "original model", baseDir, sourceDir);
        var compressed = PathResolver.Resolve(attr.Compressed, "compressed model", baseDir, sourceDir);
        if (string.IsNullOrWhiteSpace(attr.Seeds))
            throw new DflareException($"[DeviationSearch] on {method.DeclaringType?.Name}.{method.Name} needs Seeds = \"folder, IDX or CIFAR-10 file\".");
        var seeds = PathResolver.Resolve(attr.Seeds, "seed source", baseDir, sourceDir);
        if (attr.Limit < 0 || attr.Offset < 0 || attr.Sample < 0) throw new DflareException($"Limit, Offset and Sample must not be negative (got {attr.Limit}, {attr.Offset}, {attr.Sample}).");
        var source = SeedSource.Open(seeds);
        var ids = SelectSeeds(source, attr, settings);
        int unsharded = SelectSeeds(source, attr, settings with { Shard = null }).Count;
        bool perSeed = attr.Granularity switch
        {
            CaseGranularity.PerSeed => true,
            CaseGranularity.PerPair => false,
            _ => ids.Count <= DeviationSearchDiscoverer.AutoPerSeedLimit,
        };
        return new CasePlan(original, compressed, seeds, ids, perSeed, unsharded);
    }

    /// <summary>The seeds of this run: the sample (the same for every run seed) or offset and limit applied, then the shard.</summary>
    public static IReadOnlyList<(int Position, string Id)> SelectSeeds(SeedSource source, DeviationSearchAttribute attr, DflareTestSettings settings)
    {
        var positions = source.Select(attr.Offset, attr.Limit > 0 ? attr.Limit : null, attr.Sample > 0 ? attr.Sample : null, Check.DeviationCheck.SampleSeed);
        var list = new List<(int, string)>();
        for (int k = 0; k < positions.Count; k++)
            if (settings.InShard(k)) list.Add((positions[k], SeedIdAt(source, positions[k])));
        return list;
    }

    private static string SeedIdAt(SeedSource source, int index) =>
        source is ImageFolderSeedSource folder ? folder.IdAt(index) : index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Resolves a path from an attribute: absolute, or relative to the output folder, or to the test source folder (and its parents up to the project).</summary>
internal static class PathResolver
{
    public static string Resolve(string path, string what, string baseDir, string? sourceDir)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new DflareException($"No {what} path given.");
        if (Path.IsPathRooted(path))
            return File.Exists(path) || Directory.Exists(path) ? path : throw new MissingInputException($"The {what} '{path}' does not exist.");
        var tried = new List<string>();
        foreach (var dir in Candidates(baseDir, sourceDir))
        {
            var p = Path.GetFullPath(Path.Combine(dir, path));
            if (File.Exists(p) || Directory.Exists(p)) return p;
            tried.Add(p);
        }
        throw new MissingInputException($"The {what} '{path}' does not exist (looked for {string.Join(", ", tried.Distinct())}).");
    }

    private static IEnumerable<string> Candidates(string baseDir, string? sourceDir)
    {
        yield return baseDir;
        if (sourceDir is null || !Directory.Exists(sourceDir)) yield break;
        for (var d = new DirectoryInfo(sourceDir); d is not null; d = d.Parent)
        {
            yield return d.FullName;
            if (d.EnumerateFiles("*.csproj").Any()) yield break;
        }
    }
}

/// <summary>A model or seed path named by an attribute does not exist.</summary>
internal sealed class MissingInputException(string message) : DflareException(message);
