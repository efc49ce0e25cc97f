using System.Xml.Linq;
using Dflare.Reports;

namespace Dflare.Core.Tests.Reports;

public sealed class GateReportTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dflare-reports-").FullName;

    private static SeedRecord Seed(string id, int index, string status, SnapshotState snapshot, long queries, string? image = null) => new()
    {
        Id = id, Index = index, Status = status, Snapshot = snapshot, Queries = queries,
        OriginalClass = status == "not-found" ? null : "Coat", CompressedClass = status == "not-found" ? null : "Shirt", Image = image,
    };

    private static DeviationCaseRecord Case(string method, string shard, bool passed, params SeedRecord[] seeds) => new()
    {
        Id = $"T.C.{method}", TestClass = "T.C", TestMethod = method, Original = "/m/a.onnx", Compressed = "/m/a.int8.onnx",
        Budget = 100, Shard = shard, Passed = passed, Seeds = seeds, Seconds = 1, Operators = [new("pixel-change", 10, 2)],
    };

    private string WriteRun(string name, string shard, params DeviationCaseRecord[] cases)
    {
        var d = Path.Combine(dir, name);
        foreach (var s in cases.SelectMany(c => c.Seeds).Where(s => s.Image is not null))
        {
            Directory.CreateDirectory(Path.Combine(d, "images"));
            File.WriteAllBytes(Path.Combine(d, s.Image!), [1, 2, 3, (byte)s.Index]);
        }
        GateReport.WriteAll(new GateResults { Project = "T", Shards = [shard], Cases = cases }, d);
        return d;
    }

    [Fact]
    public void Results_round_trip_through_results_json_and_fragments()
    {
        var c = Case("M", "1/2", false, Seed("s0", 0, "triggered", SnapshotState.New, 40, "images/s0.png"), Seed("s1", 1, "not-found", SnapshotState.None, 100));
        GateResultsStore.WriteFragment(dir, "run1", c);
        GateResultsStore.WriteFragment(dir, "run1", new RobustnessRecord { Id = "T.C.R", TestClass = "T.C", TestMethod = "R", Model = "m.onnx", Layers = [new("conv1", "Conv", 1.5, 4)] });
        var (cases, checks) = GateResultsStore.ReadFragments(dir, "run1");
        cases.Should().ContainSingle().Which.Seeds.Should().HaveCount(2);
        cases[0].Seeds[0].Snapshot.Should().Be(SnapshotState.New);
        checks.Should().ContainSingle().Which.Layers.Should().Equal(new LayerSensitivityRecord("conv1", "Conv", 1.5, 4));

        GateReport.WriteAll(new GateResults { Cases = cases, Robustness = checks }, dir);
        var back = GateResultsStore.Read(dir);
        back.Cases.Single().Seeds.Select(s => (s.Id, s.Status, s.Snapshot, s.Queries)).Should().Equal(("s0", "triggered", SnapshotState.New, 40L), ("s1", "not-found", SnapshotState.None, 100L));
        File.ReadAllText(Path.Combine(dir, "results.json")).Should().Contain("\"snapshot\": \"New\"").And.Contain("\"tool\": \"dflare gate\"");
    }

    [Fact]
    public void Reading_something_else_says_what_is_wrong()
    {
        var act = () => GateResultsStore.Read(dir);
        act.Should().Throw<DflareException>().WithMessage("*has no results.json*");
        File.WriteAllText(Path.Combine(dir, "results.json"), """{ "tool": "dflare search", "seeds": [] }""");
        act.Should().Throw<DflareException>().WithMessage("*not the results.json of a Dflare test run*dflare search*");
    }

    [Fact]
    public void Merging_shards_gives_the_unsharded_counts_and_copies_the_pictures()
    {
        // Per-seed cases (different ids per shard) and a per-pair case that both shards ran (same id).
        var a = WriteRun("s1", "1/2",
            Case("PerSeed[seed=s0]", "1/2", false, Seed("s0", 0, "triggered", SnapshotState.New, 40, "images/p0.png")),
            Case("PerPair", "1/2", true, Seed("s0", 0, "triggered", SnapshotState.Known, 30, "images/q0.png"), Seed("s2", 2, "not-found", SnapshotState.None, 100)));
        var b = WriteRun("s2", "2/2",
            Case("PerSeed[seed=s1]", "2/2", true, Seed("s1", 1, "not-found", SnapshotState.None, 100)),
            Case("PerPair", "2/2", false, Seed("s1", 1, "already-deviating", SnapshotState.Gone, 2, "images/q1.png"), Seed("s3", 3, "triggered", SnapshotState.Mismatch, 70, "images/q3.png")));

        var (merged, warnings) = GateReport.Merge([a, b], Path.Combine(dir, "merged"));

        warnings.Should().BeEmpty();
        merged.Shards.Should().Equal("1/2", "2/2");
        var pair = merged.Pairs.Should().ContainSingle().Subject;
        (pair.SeedCount, pair.Deviations, pair.New, pair.Accepted, pair.Gone, pair.Queries).Should().Be((6, 4, 2, 1, 1, 342L));
        var perPair = merged.Cases.Single(c => c.TestMethod == "PerPair");
        perPair.Seeds.Select(s => s.Id).Should().Equal("s0", "s1", "s2", "s3");
        perPair.Passed.Should().BeFalse();
        perPair.Operators.Should().Equal(new OperatorRecord("pixel-change", 20, 4));
        foreach (var img in new[] { "p0", "q0", "q1", "q3" })
            File.ReadAllBytes(Path.Combine(dir, "merged", "images", img + ".png")).Should().NotBeEmpty();
        GateResultsStore.Read(Path.Combine(dir, "merged")).Cases.Should().HaveCount(3);
    }

    [Fact]
    public void Merging_overlapping_shards_warns_and_counts_each_seed_once()
    {
        var a = WriteRun("o1", "1/2", Case("PerPair", "1/2", true, Seed("s0", 0, "not-found", SnapshotState.None, 100)));
        var b = WriteRun("o2", "1/2", Case("PerPair", "1/2", true, Seed("s0", 0, "not-found", SnapshotState.None, 100)));
        var (merged, warnings) = GateReport.Merge([a, b], Path.Combine(dir, "m2"));
        warnings.Should().ContainSingle().Which.Should().Contain("seed s0 appears in more than one input");
        merged.Pairs.Single().SeedCount.Should().Be(1);
    }

    [Fact]
    public void Markdown_junit_and_html_show_the_verdict_counts_and_pictures()
    {
        var c = Case("M", "", false, Seed("s0", 0, "triggered", SnapshotState.New, 40, "images/s 0.png"), Seed("s1", 1, "triggered", SnapshotState.Known, 50, "images/s1.png"),
            Seed("s2", 2, "not-found", SnapshotState.None, 100));
        var results = new GateResults { Cases = [c] };

        var md = MarkdownSummary.Render(results);
        md.Should().Contain("❌ failed: 1 new deviation(s)").And.Contain("| ❌ `a.int8.onnx` vs `a.onnx` | 3 | 2 | 1 | 1 | 0 | 190 |")
            .And.Contain("[picture](images/s%200.png)").And.NotContain("s1.png", "only deviations to review are listed");
        MarkdownSummary.Render(results with { FailOnDeviation = false }).Should().Contain("⚠️ report-only");

        var junit = XDocument.Parse(JUnitReport.Render(results));
        junit.Root!.Attribute("tests")!.Value.Should().Be("3");
        junit.Descendants("failure").Should().ContainSingle().Which.Attribute("message")!.Value.Should().Contain("seed s0").And.Contain("Coat → Shirt");
        XDocument.Parse(JUnitReport.Render(results with { FailOnDeviation = false })).Descendants("failure").Should().BeEmpty();

        var html = HtmlReport.Render(results);
        html.Should().Contain("src=\"images/s%200.png\"").And.Contain("src=\"images/s1.png\"").And.Contain("<svg").And.NotContain("<script");
        html.Should().Contain("Failed: 1 new deviation(s)");
    }

    [Fact]
    public void Report_links_escape_each_path_segment_and_take_an_http_base_url_only()
    {
        ReportLinks.To("images/s 0#1.png", null).Should().Be("images/s%200%231.png");
        ReportLinks.To("images/s1.png", "https://ci.example.com/a/b").Should().Be("https://ci.example.com/a/b/images/s1.png");
        ReportLinks.NormalizeBaseUrl(" https://ci.example.com/a/b// ", "X").Should().Be("https://ci.example.com/a/b");
        ReportLinks.NormalizeBaseUrl("  ", "X").Should().BeNull();
        foreach (var bad in new[] { "ci/artifacts", "file:///tmp/x", "ftp://host/x" })
            FluentActions.Invoking(() => ReportLinks.NormalizeBaseUrl(bad, "DflareReportImageBaseUrl")).Should().Throw<DflareException>()
                .WithMessage($"DflareReportImageBaseUrl '{bad}' is not an absolute http(s) URL*");

        var c = Case("M", "", false, Seed("s0", 0, "triggered", SnapshotState.New, 40, "images/s0.png"));
        MarkdownSummary.Render(new GateResults { Cases = [c], ImageBaseUrl = "https://ci.example.com/run/9" })
            .Should().Contain("[picture](https://ci.example.com/run/9/images/s0.png)");
        var merged = GateReport.Merge([WriteRun("u", "1/1", c)], Path.Combine(dir, "merged-url"), "https://x.example/r").Results;
        merged.ImageBaseUrl.Should().Be("https://x.example/r");
        GateResultsStore.Read(Path.Combine(dir, "merged-url")).ImageBaseUrl.Should().Be("https://x.example/r");
    }

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
