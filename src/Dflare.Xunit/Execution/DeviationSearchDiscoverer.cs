using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>
/// Discovers the cases of a <see cref="DeviationSearchAttribute"/>: one per seed (listed with the seed id) or one per
/// pair, each carrying the attribute's <see cref="DeviationCasePlan"/>. Problems with the configuration never fail
/// discovery: they become a case that fails with the message at run time.
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
        var traits = CaseTraits.For(testMethod);
        var pairLabel = $"{Path.GetFileName(attr.Original)} vs {Path.GetFileName(attr.Compressed)}";
        var cases = new List<IXunitTestCase>();

        DeviationTestCase Make(DeviationCasePlan plan, int seedPosition = -1, string? seedId = null, string? configError = null, string? skip = null)
        {
            var label = seedId is null ? pairLabel : $"{pairLabel}, seed {seedId}";
            var t = new Dictionary<string, HashSet<string>>(traits, StringComparer.OrdinalIgnoreCase);
            if (seedId is not null) t["Seed"] = [seedId];
            return new DeviationTestCase(plan, seedPosition, seedId, configError,
                details.ResolvedTestMethod, $"{details.TestCaseDisplayName} [{label}]",
                seedId is null ? details.UniqueID : $"{details.UniqueID}|seed={seedId}",
                details.Explicit, details.SkipExceptions,
                // A skip of ours (a missing file, an empty shard) is unconditional.
                skip ?? details.SkipReason, details.SkipType, skip is null ? details.SkipUnless : null, skip is null ? details.SkipWhen : null,
                t, details.SourceFilePath, details.SourceLineNumber, details.Timeout);
        }

        var declared = DeviationCasePlan.Declared(attr);
        try
        {
            var settings = DflareTestSettings.For(testMethod.TestClass.Class.Assembly);
            var plan = DeviationCasePlan.Create(attr, testMethod.TestClass.Class, testMethod.Method);
            var (seeds, unsharded) = CaseSeeds.Select(plan.Check!, settings);
            bool perSeed = attr.Granularity switch
            {
                CaseGranularity.PerSeed => true,
                CaseGranularity.PerPair => false,
                _ => seeds.Count <= AutoPerSeedLimit,
            };
            if (seeds.Count == 0) { }
            else if (perSeed)
                foreach (var (position, id) in seeds) cases.Add(Make(plan, position, id));
            else cases.Add(Make(plan));
            if (cases.Count == 0 && settings.Shard is { } sh && unsharded > 0)
                cases.Add(Make(plan, skip: $"No seeds in shard {sh.Index}/{sh.Count}: the other shards check this pair's {unsharded} seed(s)."));
            else if (cases.Count == 0) cases.Add(Make(declared, configError: "No seeds to search: the seed source, limit and offset leave none."));
        }
        catch (MissingInputException e) when (attr.SkipWhenFilesMissing)
        {
            cases.Add(Make(declared, skip: e.Message));
        }
        catch (Exception e) when (e is DflareException or IOException or UnauthorizedAccessException)
        {
            cases.Add(Make(declared, configError: e.Message));
        }
        return new(cases);
    }
}
