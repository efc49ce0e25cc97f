using System.Globalization;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>
/// Discovers the single case of a <see cref="QuanosRobustnessAttribute"/>, carrying its <see cref="RobustnessCasePlan"/>;
/// configuration problems become a failing (or, with missing files and <c>SkipWhenFilesMissing</c>, skipped) case.
/// </summary>
public sealed class QuanosRobustnessDiscoverer : IXunitTestCaseDiscoverer
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<IXunitTestCase>> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, IXunitTestMethod testMethod, IFactAttribute factAttribute)
    {
        var attr = (QuanosRobustnessAttribute)factAttribute;
        var d = TestIntrospectionHelper.GetTestCaseDetails(discoveryOptions, testMethod, factAttribute);
        string? error = null, skip = null;
        var plan = RobustnessCasePlan.Declared(attr);
        try
        {
            // A robustness check has no seeds to slice between shards: it runs in shard 1 only.
            if (DflareTestSettings.For(testMethod.TestClass.Class.Assembly).Shard is { Index: > 1 } shard)
                skip = $"QUANOS robustness checks run in shard 1/{shard.Count} only (this is shard {shard.Index}/{shard.Count}).";
            plan = RobustnessCasePlan.Create(attr);
        }
        catch (MissingInputException e) when (attr.SkipWhenFilesMissing) { skip = e.Message; }
        catch (Exception e) when (e is DflareException or IOException or UnauthorizedAccessException) { error = e.Message; }
        var label = attr.Model is null ? "robustness" : $"{Path.GetFileName(attr.Model)} robustness ≥ ε {attr.MinEpsilon.ToString("G4", CultureInfo.InvariantCulture)}";
        IXunitTestCase tc = new RobustnessTestCase(plan, error, d.ResolvedTestMethod, $"{d.TestCaseDisplayName} [{label}]", d.UniqueID, d.Explicit,
            d.SkipExceptions, skip ?? d.SkipReason, d.SkipType, skip is null ? d.SkipUnless : null, skip is null ? d.SkipWhen : null,
            CaseTraits.For(testMethod), d.SourceFilePath, d.SourceLineNumber, d.Timeout);
        return new([tc]);
    }
}
