using System.Diagnostics;
using System.Text.Json;
using Dflare.Benchmarks.Figures;

namespace Dflare.Benchmarks.Tests;

/// <summary>CI's check of the benchmark harness: it builds, and its tiny smoke configuration runs on the demo pair (no ../shared needed).</summary>
public sealed class SmokeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-bench-smoke-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Smoke_runs_every_strategy_on_three_demo_seeds_and_writes_sane_json_and_markdown()
    {
        var sw = Stopwatch.StartNew();
        var r = Smoke.Execute(_dir, seeds: 3, budget: 200);
        sw.Stop();

        r.SeedCount.Should().Be(3);
        r.Strategies.Select(s => s.Strategy).Should().Equal("dflare", "diffchaser", "random-ops", "gap-only", "square", "dflare-reference");
        foreach (var s in r.Strategies)
        {
            s.Seeds.Should().Be(3);
            s.PerSeed.Should().HaveCount(3);
            s.Triggered.Should().BeInRange(0, s.Searched);
            s.PerSeed.Should().OnlyContain(x => x.Queries >= 2 && x.Queries <= 200);
            s.PerSeed.Where(x => x.Status == "triggered").Should().OnlyContain(x => x.LInf > 0 && x.Ssim < 1);
            s.WallSeconds.Should().BePositive();
            s.InferenceSeconds.Should().BeInRange(0, s.WallSeconds);
        }
        r.Get("dflare")!.Triggered.Should().BeGreaterThan(0, "DFlare finds deviations near most demo seeds within 200 queries");
        sw.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "the smoke configuration is meant to finish in seconds");

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "smoke.json")));
        doc.RootElement.GetProperty("pairs")[0].GetProperty("strategies").GetArrayLength().Should().Be(6);
        File.ReadAllText(Path.Combine(_dir, "smoke.md")).Should().Contain("| demo | 3 | dflare |");
    }

    [Fact]
    public void The_same_seed_gives_the_same_queries_in_two_smoke_runs()
    {
        var a = Smoke.Execute(Path.Combine(_dir, "a"));
        var b = Smoke.Execute(Path.Combine(_dir, "b"));
        foreach (var (x, y) in a.Strategies.Zip(b.Strategies))
            x.PerSeed.Select(s => (s.Id, s.Status, s.Queries, s.LInf)).Should().Equal(y.PerSeed.Select(s => (s.Id, s.Status, s.Queries, s.LInf)));
    }
}
