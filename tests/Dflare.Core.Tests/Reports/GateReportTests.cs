using System.Xml.Linq;
using Dflare.Check;
using Dflare.Reports;
using Dflare.Search;

namespace Dflare.Core.Tests.Reports;

public sealed class GateReportTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dflare-reports-").FullName;

    private static SeedRecord Seed(string id, int index, SeedState state, long queries, string? image = null) => new()
    {
        Id = id, Index = index, State = state, Status = state == SeedState.Clean ? SearchStatus.NotFound : SearchStatus.Triggered, Queries = queries,
        OriginalClass = state == SeedState.Clean ? null : "Coat", CompressedClass = state == SeedState.Clean ? null : "Shirt", Image = image,
        OriginalMargin = state == SeedState.Clean ? null : 0.5, CompressedMargin = state == SeedState.Clean ? null : 0.25,
        TrueClass = "Coat", SeedClass = "Coat", SeedCompressedClass = index == 1 ? "Shirt" : "Coat",
    };

    private static DeviationCaseRecord Case(string method, string shard, bool passed, params SeedRecord[] seeds) => new()
    {
        Id = $"T.C.{method}", TestClass = "T.C", TestMethod = method, Original = "/m/a.onnx", Compressed = "/m/a.int8.onnx",
        Budget = 100, MinMargin = 0.1, MaxLInf = 32, Shard = shard, Passed = passed, Seeds = seeds, Seconds = 1, Operators = [new("pixel-change", 10, 2)],
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
        var c = Case("M", "1/2", false, Seed("s0", 0, SeedState.New, 40, "images/s0.png"), Seed("s1", 1, SeedState.Clean, 100));
        GateResultsStore.WriteFragment(dir, "run1", c);
        GateResultsStore.WriteFragment(dir, "run1", new RobustnessRecord { Id = "T.C.R", TestClass = "T.C", TestMethod = "R", Model = "m.onnx", Layers = [new("conv1", "Conv", 1.5, 4)] });
        var (cases, checks) = GateResultsStore.ReadFragments(dir, "run1");
        cases.Should().ContainSingle().Which.Seeds.Should().HaveCount(2);
        cases[0].Seeds[0].State.Should().Be(SeedState.New);
        checks.Should().ContainSingle().Which.Layers.Should().Equal(new LayerSensitivityRecord("conv1", "Conv", 1.5, 4));

        GateReport.WriteAll(new GateResults { Cases = cases, Robustness = checks }, dir);
        var back = GateResultsStore.Read(dir);
        back.Cases.Single().Seeds.Select(s => (s.Id, s.State, s.Queries)).Should().Equal(("s0", SeedState.New, 40L), ("s1", SeedState.Clean, 100L));
        File.ReadAllText(Path.Combine(dir, "results.json")).Should().Contain("\"state\": \"New\"").And.Contain("\"tool\": \"dflare gate\"").And.Contain("\"formatVersion\": 2");
    }

    [Fact]
    public void Reading_something_else_says_what_is_wrong()
    {
        var act = () => GateResultsStore.Read(dir);
        act.Should().Throw<DflareException>().WithMessage("*has no results.json*");
        File.WriteAllText(Path.Combine(dir, "results.json"), """{ "tool": "dflare search", "seeds": [] }""");
        act.Should().Throw<DflareException>().WithMessage("*not the results.json of a Dflare test run*dflare search*");
        File.WriteAllText(Path.Combine(dir, "results.json"), """{ "tool": "dflare gate", "formatVersion": 1, "cases": [] }""");
        act.Should().Throw<DflareException>().WithMessage("*format version 1*rerun the tests*");
    }

    [Fact]
    public void Null_arrays_in_results_json_read_as_empty_and_render()
    {
        File.WriteAllText(Path.Combine(dir, "results.json"), """
            { "tool": "dflare gate", "formatVersion": 2, "shards": null, "robustness": null,
              "cases": [ { "id": "T.C.M", "testClass": "T.C", "testMethod": "M", "original": "/m/a.onnx", "compressed": "/m/b.onnx",
                           "seeds": null, "operators": null, "changedModels": null },
                         { "id": "T.C.N", "testClass": "T.C", "testMethod": "N", "original": "/m/a.onnx", "compressed": "/m/b.onnx",
                           "seeds": [ { "id": "s0", "state": "Known", "operators": null } ] } ] }
            """);
        var r = GateResultsStore.Read(dir);
        r.Shards.Should().BeEmpty();
        r.Cases.Should().HaveCount(2);
        r.Cases[0].Seeds.Should().BeEmpty();
        r.Cases[1].Seeds.Single().Operators.Should().BeEmpty();
        GateReport.WriteViews(r, dir);
        GateReport.Merge([dir], Path.Combine(dir, "merged")).Results.Pairs.Single().Known.Should().Be(1);
    }

    [Fact]
    public void Merging_shards_gives_the_unsharded_counts_and_copies_the_pictures()
    {
        // Per-seed cases (different ids per shard) and a per-pair case that both shards ran (same id).
        var a = WriteRun("s1", "1/2",
            Case("PerSeed[seed=s0]", "1/2", false, Seed("s0", 0, SeedState.New, 40, "images/p0.png")),
            Case("PerPair", "1/2", true, Seed("s0", 0, SeedState.Known, 30, "images/q0.png"), Seed("s2", 2, SeedState.Clean, 100)));
        var b = WriteRun("s2", "2/2",
            Case("PerSeed[seed=s1]", "2/2", true, Seed("s1", 1, SeedState.Clean, 100)),
            Case("PerPair", "2/2", false, Seed("s1", 1, SeedState.Fixed, 2, "images/q1.png"), Seed("s3", 3, SeedState.Changed, 70, "images/q3.png")));

        var (merged, warnings) = GateReport.Merge([a, b], Path.Combine(dir, "merged"));

        warnings.Should().BeEmpty();
        merged.Shards.Should().Equal("1/2", "2/2");
        var pair = merged.Pairs.Should().ContainSingle().Subject;
        (pair.SeedCount, pair.Deviations, pair.New, pair.Known, pair.Changed, pair.Fixed, pair.Queries).Should().Be((6, 3, 1, 1, 1, 1, 342L));
        var perPair = merged.Cases.Single(c => c.TestMethod == "PerPair");
        perPair.Seeds.Select(s => s.Id).Should().Equal("s0", "s1", "s2", "s3");
        perPair.Passed.Should().BeFalse("a changed deviation fails the merged case by the one rule");
        perPair.Operators.Should().Equal(new OperatorRecord("pixel-change", 20, 4));
        foreach (var img in new[] { "p0", "q0", "q1", "q3" })
            File.ReadAllBytes(Path.Combine(dir, "merged", "images", img + ".png")).Should().NotBeEmpty();
        GateResultsStore.Read(Path.Combine(dir, "merged")).Cases.Should().HaveCount(3);
    }

    [Fact]
    public void Merging_overlapping_shards_warns_and_counts_each_seed_once()
    {
        var a = WriteRun("o1", "1/2", Case("PerPair", "1/2", true, Seed("s0", 0, SeedState.Clean, 100)));
        var b = WriteRun("o2", "1/2", Case("PerPair", "1/2", true, Seed("s0", 0, SeedState.Clean, 100)));
        var (merged, warnings) = GateReport.Merge([a, b], Path.Combine(dir, "m2"));
        warnings.Should().ContainSingle().Which.Should().Contain("seed s0 appears in more than one input");
        merged.Pairs.Single().SeedCount.Should().Be(1);
    }

    [Fact]
    public void Merging_runs_with_different_settings_is_refused_naming_them_and_writes_nothing()
    {
        var a = WriteRun("d1", "1/2", Case("PerPair", "1/2", true, Seed("s0", 0, SeedState.Clean, 100)));
        var b = WriteRun("d2", "2/2", Case("PerPair", "2/2", true, Seed("s1", 1, SeedState.Clean, 100)) with { Budget = 400, RunSeed = 3 });
        var outDir = Path.Combine(dir, "m3");
        var act = () => GateReport.Merge([a, b], outDir);
        act.Should().Throw<DflareException>().WithMessage("*different settings*budget 100 vs 400*run seed 0 vs 3*");
        Directory.Exists(outDir).Should().BeFalse("nothing is written before every input is checked");

        var c = WriteRun("d3", "2/2", Case("Other", "2/2", true, Seed("s1", 1, SeedState.Clean, 100)) with { MinMargin = 0.3 });
        FluentActions.Invoking(() => GateReport.Merge([a, c], outDir)).Should().Throw<DflareException>().WithMessage("*pair a.int8.onnx vs a.onnx*min margin 0.1 vs 0.3*");
    }

    [Fact]
    public void Merging_never_follows_a_picture_path_out_of_the_run_folder()
    {
        var a = WriteRun("t1", "1/1", Case("M", "1/1", false, Seed("s0", 0, SeedState.New, 40, "images/s0.png")));
        var results = GateResultsStore.Read(a);
        var evil = results with { Cases = [results.Cases[0] with { Seeds = [results.Cases[0].Seeds[0] with { Image = "../../escaped.png" }] }] };
        GateResultsStore.Write(evil, a);
        var outDir = Path.Combine(dir, "deep", "m4");
        var act = () => GateReport.Merge([a], outDir);
        act.Should().Throw<DflareException>().WithMessage("*'../../escaped.png'*outside its images/ folder*");
        File.Exists(Path.Combine(dir, "escaped.png")).Should().BeFalse();
        Directory.Exists(outDir).Should().BeFalse();
    }

    [Fact]
    public void Markdown_junit_and_html_show_the_verdict_rate_states_and_pictures()
    {
        var c = Case("M", "", false, Seed("s0", 0, SeedState.New, 40, "images/s 0.png"), Seed("s1", 1, SeedState.Known, 50, "images/s1.png"),
            Seed("s2", 2, SeedState.Clean, 100)) with { Message = "a.int8.onnx vs a.onnx: FAILED." };
        var ok = Case("P", "", true, Seed("s0", 0, SeedState.Clean, 10)) with { Id = "T.C.P" };
        var results = new GateResults { Cases = [c, ok] };

        var md = MarkdownSummary.Render(results);
        md.Should().Contain("❌ failed: 1 failing test case(s) (1 new)")
            .And.Contain("| `a.int8.onnx` vs `a.onnx` | ❌ failed | 4 | 50 % (15 %–85 %) | 1 | 1 | 0 | 0 | 0 | 100 % / 75 % | 1 | 200 |")
            .And.Contain("2 of 4 seeds deviate (50 %, 95 % CI 15 %–85 %): 1 known, 1 new, 0 changed, 0 fixed")
            .And.Contain("[picture](images/s%200.png)").And.Contain("| new | Coat → Shirt | 0.50 / 0.25 |").And.NotContain("s1.png", "known deviations are not to review");

        var junit = XDocument.Parse(JUnitReport.Render(results));
        junit.Root!.Attribute("tests")!.Value.Should().Be("2", "one testcase per test case");
        junit.Descendants("failure").Should().ContainSingle("failures equal the failing test cases").Which.Attribute("message")!.Value.Should().Be("a.int8.onnx vs a.onnx: FAILED.");
        XDocument.Parse(JUnitReport.Render(results with { Cases = [c with { Passed = true }, ok], FailOnDeviation = false })).Descendants("failure").Should().BeEmpty();

        var html = HtmlReport.Render(results, "/m/report");
        html.Should().Contain("src=\"images/s%200.png\"").And.Contain("src=\"images/s1.png\"").And.Contain("<svg").And.NotContain("<script");
        html.Should().Contain("failed: 1 failing test case(s) (1 new)").And.Contain("<code>../a.onnx</code>", "paths are relative to the report");
    }

    [Fact]
    public void A_case_that_errored_is_an_error_everywhere_never_passed()
    {
        var err = CheckRecord.ForError("T.C.E", "T.C", "E", "/m/a.onnx", "/m/a.int8.onnx", "/m/seeds", null, "Dflare error: access to the path '/x/Snapshots' is denied.");
        var seedError = Case("S", "", false, Seed("s0", 0, SeedState.Error, 2) with { Note = "cannot be written" }) with { Id = "T.C.S" };
        var results = new GateResults { Cases = [err, seedError] };
        var junit = XDocument.Parse(JUnitReport.Render(results));
        junit.Descendants("error").Should().HaveCount(2);
        junit.Descendants("failure").Should().BeEmpty();
        junit.Root!.Attribute("errors")!.Value.Should().Be("2");
        var md = MarkdownSummary.Render(results);
        md.Should().Contain("❌ failed: 2 failing test case(s)").And.Contain("### Errors").And.Contain("access to the path").And.NotContain("✅");
        results.Pairs.Single().Errors.Should().Be(2);
        HtmlReport.Render(results).Should().Contain("badge new\">error</span>");
    }

    [Fact]
    public void The_rule_and_the_wilson_interval()
    {
        var (lo, hi) = CheckRule.Wilson(0, 50);
        lo.Should().Be(0);
        hi.Should().BeApproximately(0.0713, 0.001);
        var (l2, h2) = CheckRule.Wilson(34, 50);
        l2.Should().BeApproximately(0.542, 0.002);
        h2.Should().BeApproximately(0.792, 0.002);
        CheckRule.Fails(new StateCounts(10, 3, 0, 0, 2, 0), new()).Should().BeFalse("known and fixed pass");
        CheckRule.Fails(new StateCounts(10, 3, 0, 0, 2, 0), new(FailOnFixed: true)).Should().BeTrue();
        CheckRule.Fails(new StateCounts(10, 0, 1, 0, 0, 0), new()).Should().BeTrue();
        CheckRule.Fails(new StateCounts(10, 0, 1, 0, 0, 0), new(AllowedDeviations: 1)).Should().BeFalse();
        CheckRule.Fails(new StateCounts(9, 0, 1, 0, 0, 0), new(MaxDeviationRate: 0.1)).Should().BeFalse("1 of 10 is not above 10 %");
        CheckRule.Fails(new StateCounts(8, 0, 2, 0, 0, 0), new(MaxDeviationRate: 0.1)).Should().BeTrue();
        CheckRule.Fails(new StateCounts(10, 1, 0, 1, 0, 0), new(MaxDeviationRate: 0.5)).Should().BeTrue("a changed deviation always fails");
        CheckRule.Fails(new StateCounts(10, 0, 0, 0, 0, 1), new(MaxDeviationRate: 0.5)).Should().BeTrue("an error always fails");
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

        var c = Case("M", "", false, Seed("s0", 0, SeedState.New, 40, "images/s0.png"));
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
