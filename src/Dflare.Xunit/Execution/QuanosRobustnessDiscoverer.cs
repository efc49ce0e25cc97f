using System.Globalization;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>Discovers the single case of a <see cref="QuanosRobustnessAttribute"/>; configuration problems become a failing (or, with missing files and <c>SkipWhenFilesMissing</c>, skipped) case.</summary>
public sealed class QuanosRobustnessDiscoverer : IXunitTestCaseDiscoverer
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<IXunitTestCase>> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, IXunitTestMethod testMethod, IFactAttribute factAttribute)
    {
        var attr = (QuanosRobustnessAttribute)factAttribute;
        var d = TestIntrospectionHelper.GetTestCaseDetails(discoveryOptions, testMethod, factAttribute);
        string? error = null, skip = null;
        try
        {
            // A robustness check has no seeds to slice between shards: it runs in shard 1 only.
            if (DflareTestSettings.For(testMethod.TestClass.Class.Assembly).Shard is { Index: > 1 } shard)
                skip = $"QUANOS robustness checks run in shard 1/{shard.Count} only (this is shard {shard.Index}/{shard.Count}).";
            RobustnessPlan.Create(attr);
        }
        catch (MissingInputException e) when (attr.SkipWhenFilesMissing) { skip = e.Message; }
        catch (Exception e) when (e is DflareException or IOException or UnauthorizedAccessException) { error = e.Message; }
        var label = attr.Model is null ? "robustness" : $"{Path.GetFileName(attr.Model)} robustness ≥ ε {attr.MinEpsilon.ToString("G4", CultureInfo.InvariantCulture)}";
        IXunitTestCase tc = new RobustnessTestCase(error, d.ResolvedTestMethod, $"{d.TestCaseDisplayName} [{label}]", d.UniqueID, d.Explicit,
            d.SkipExceptions, skip ?? d.SkipReason, d.SkipType, d.SkipUnless, d.SkipWhen, TestCaseTraits.For(testMethod), d.SourceFilePath, d.SourceLineNumber, d.Timeout);
        return new([tc]);
    }
}

/// <summary>The resolved files of a robustness check.</summary>
internal sealed record RobustnessPlan(string Model, string? Original, string Seeds)
{
    public static RobustnessPlan Create(QuanosRobustnessAttribute a)
    {
        var baseDir = AppContext.BaseDirectory;
        var sourceDir = a.SourceFile is { } f ? Path.GetDirectoryName(f) : null;
        if (string.IsNullOrWhiteSpace(a.Model)) throw new DflareException("[QuanosRobustness] needs Model = \"model.onnx\".");
        if (string.IsNullOrWhiteSpace(a.Seeds)) throw new DflareException("[QuanosRobustness] needs Seeds = \"folder, IDX or CIFAR-10 file\".");
        if (!(a.MinEpsilon > 0 && a.MinEpsilon < 1)) throw new DflareException($"minEpsilon must be in (0, 1) in [0,1] pixel units; got {a.MinEpsilon.ToString(CultureInfo.InvariantCulture)}.");
        if (a.Limit <= 0 || a.Offset < 0) throw new DflareException($"Limit must be positive and Offset not negative (got {a.Limit}, {a.Offset}).");
        return new RobustnessPlan(
            PathResolver.Resolve(a.Model, "model", baseDir, sourceDir),
            string.IsNullOrWhiteSpace(a.Original) ? null : PathResolver.Resolve(a.Original, "original model", baseDir, sourceDir),
            PathResolver.Resolve(a.Seeds, "seed source", baseDir, sourceDir));
    }
}
