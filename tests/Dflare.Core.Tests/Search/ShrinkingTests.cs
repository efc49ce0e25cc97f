using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search;
using Dflare.Search.Shrinking;

namespace Dflare.Tests.Search;

/// <summary>
/// Shrinking of DFlare's triggering inputs on the demo pair (in the repository, so these always run): the shrunk input
/// still deviates by the same rule, the extra queries stay within the shrinking budget and are the models' own counts,
/// the nearer deviation leaves the seed's flat regions untouched, and results replay exactly whatever the batching.
/// </summary>
public sealed class ShrinkingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    private static ModelPair DemoPair() => ModelPair.Load(Demo("fashion-lenet.onnx"), Demo("fashion-lenet.int8.onnx"),
        ModelOptions.ForModel(Demo("fashion-lenet.onnx"), new ModelOptions()));

    private static IReadOnlyList<Seed> DemoSeeds(int offset, int count) => SeedSource.Open(Demo("seeds")).Load(offset, count);

    private static string Json(SearchRunResult r) =>
        SearchIntegrationTests.WithoutTimings(SearchReport.ToJson(r, new SearchReportContext())["seeds"]!);

    [Fact]
    public void The_local_radius_is_zero_on_flat_regions_and_grows_with_contrast_up_to_the_cap()
    {
        LocalRadius.For(new Image(10, 10, 1), 0.75, 24).Should().OnlyContain(r => r == 0, "a flat (black) seed has no contrast");
        var px = new byte[20 * 10 * 3];
        for (int y = 0; y < 10; y++)
            for (int x = 10; x < 20; x++) px[(y * 20 + x) * 3] = 200; // channel 0: an edge at x = 10; channels 1 and 2 flat
        var edge = new Image(20, 10, 3, px);
        var radii = LocalRadius.For(edge, 0.75, 24);
        int R(int x, int y, int ch) => radii[(y * 20 + x) * 3 + ch];
        R(2, 5, 0).Should().Be(0, "more than 3 pixels from the edge the 7×7 neighbourhood is flat");
        R(17, 5, 0).Should().Be(0);
        R(9, 5, 0).Should().Be(24, "next to the edge the neighbourhood's standard deviation (≈ 98) times 0.75 exceeds the cap");
        R(7, 5, 0).Should().Be(24, "one column of 7 bright: sd = 200·√(1/7·6/7) ≈ 70, times 0.75 is over the cap");
        Enumerable.Range(0, 200).Select(i => radii[i * 3 + 1]).Should().OnlyContain(r => r == 0, "each channel has its own contrast");
        var small = LocalRadius.For(edge, 0.1, 24);
        small[(5 * 20 + 7) * 3].Should().Be(7, "uncapped: 0.1 × 70");
        small[(5 * 20 + 9) * 3].Should().Be(10, "three columns of 7 bright: 0.1 × 200·√(3/7·4/7) ≈ 9.9");
        FluentActions.Invoking(() => LocalRadius.For(edge, -1, 24)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => LocalRadius.For(edge, 1, 256)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData("demo", 0.0)]
    [InlineData("mnist", 0.05)] // DFlare rarely finds confident deviations on the demo pair; the two MNIST models give many
    public void Shrunk_dflare_triggers_still_deviate_by_the_same_rule_within_the_extra_budget(string which, double margin)
    {
        var pair = which == "demo" ? DemoPair() : SearchTestData.MnistPair();
        var seeds = which == "demo" ? DemoSeeds(0, 8) : SearchTestData.Mnist().Load(200, 8);
        var settings = new SearchSettings { Budget = 2000, MinMargin = margin, Speculate = false, ShrinkFraction = 0.1 };
        var r = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);

        (pair.Original.Queries + pair.Compressed.Queries).Should().Be(r.TotalQueries, "every query, shrinking included, is charged as the models count them");
        var triggered = r.Seeds.Where(s => s.Status == SearchStatus.Triggered).ToArray();
        triggered.Should().HaveCountGreaterThanOrEqualTo(4);
        foreach (var s in triggered)
        {
            var (po, pc) = pair.Predict([s.Trigger!]);
            Deviation.Judge(po[0], pc[0], margin, s.SeedOriginalLabel).Should().Be(Verdict.Deviate, $"seed {s.SeedId}'s shrunk input deviates by the search's rule");
            s.ShrinkQueries.Should().BeInRange(1, 200, "shrinking spends at most 10 % of the 2,000-query budget");
            s.L2.Should().BeLessThanOrEqualTo(s.Shrink!.L2Before);
            s.LInf.Should().BeLessThanOrEqualTo(s.Shrink.LInfBefore);
            s.Ssim.Should().BeGreaterThanOrEqualTo(s.Shrink.SsimBefore);
            if (!s.Shrink.NearerFound) continue;
            s.LInf.Should().BeLessThanOrEqualTo(SeedSearch.NearerRadius);
            var radii = LocalRadius.For(s.SeedImage, SeedSearch.NearerContrastScale, SeedSearch.NearerRadius);
            for (int i = 0; i < radii.Length; i++)
                Math.Abs(s.Trigger!.Pixels[i] - s.SeedImage.Pixels[i]).Should().BeLessThanOrEqualTo(radii[i], $"seed {s.SeedId}, value {i}: the nearer deviation moves each value within its local radius");
        }
        if (which == "demo") triggered.Should().Contain(s => s.Shrink!.NearerFound, "the nearer deviation must be covered");
        triggered.Average(s => s.Ssim!.Value).Should().BeGreaterThan(triggered.Average(s => s.Shrink!.SsimBefore) + 0.2, "shrunk inputs look like their seeds again");
    }

    [Fact]
    public void Shrinking_replays_exactly_one_seed_at_a_time_or_lock_step_on_two_threads_on_the_demo_pair()
    {
        var pair = DemoPair();
        var seeds = DemoSeeds(40, 5);
        var settings = new SearchSettings { Budget = 1000, RunSeed = 1, ShrinkFraction = 0.1 };
        var single = seeds.Select(s => new SearchRunner(pair, settings with { LockStep = 1, Threads = 1 }).Run([s], cancellation: Ct).Seeds.Single()).ToArray();
        var batched = new SearchRunner(pair, settings with { LockStep = 3, Threads = 2 }).Run(seeds, cancellation: Ct);
        Json(batched).Should().Be(Json(new SearchRunResult { Settings = settings, Seeds = single }));
        batched.Seeds.Should().Contain(s => s.Shrink != null && s.Shrink.NearerFound, "the comparison must cover the nearer deviation");
    }
}
