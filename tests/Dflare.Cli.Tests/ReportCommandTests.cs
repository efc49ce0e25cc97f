using Dflare.Check;
using Dflare.Reports;
using Dflare.Search;

namespace Dflare.Cli.Tests;

public sealed class ReportCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dflare-cli-report-").FullName;

    private string WriteRun(string name, string shard, string seed, int index, bool deviating = false, int allowed = 0)
    {
        var d = Path.Combine(dir, name);
        GateResultsStore.Write(new GateResults
        {
            Project = "T", Shards = [shard],
            Cases = [new DeviationCaseRecord
            {
                Id = "T.C.M", TestClass = "T.C", TestMethod = "M", Original = "/m/a.onnx", Compressed = "/m/a.int8.onnx", Passed = !deviating || allowed > 0, AllowedDeviations = allowed,
                Seeds = [deviating
                    ? new SeedRecord { Id = seed, Index = index, Status = SearchStatus.Triggered, Queries = 40, State = SeedState.New, OriginalClass = "Coat", CompressedClass = "Shirt", Image = $"images/{seed}.png" }
                    : new SeedRecord { Id = seed, Index = index, State = SeedState.Clean, Status = SearchStatus.NotFound, Queries = 100 }],
            }],
        }, Directory.CreateDirectory(d).FullName);
        return d;
    }

    [Fact]
    public void Report_and_merge_link_pictures_under_an_image_base_url_and_remember_it()
    {
        var run = WriteRun("run", "1/1", "seed 7", 7, deviating: true);
        string Summary(string d) => File.ReadAllText(Path.Combine(d, "summary.md"));

        CliRunner.Run("report", run).ExitCode.Should().Be(0, "report judges nothing: the failed run's views are rebuilt and it exits 0");
        Summary(run).Should().Contain("[picture](images/seed%207.png)", "without a base URL pictures are linked relatively");

        var r = CliRunner.Run("report", run, "--image-base-url", "https://ci.example.com/runs/42/dflare/");
        r.ExitCode.Should().Be(0, r.ToString());
        Summary(run).Should().Contain("[picture](https://ci.example.com/runs/42/dflare/images/seed%207.png)");
        CliRunner.Run("report", run).ExitCode.Should().Be(0);
        Summary(run).Should().Contain("https://ci.example.com/runs/42/dflare/images/seed%207.png", "results.json remembers the URL");

        var b = WriteRun("b", "1/1", "s9", 9, deviating: true);
        var merged = Path.Combine(dir, "merged");
        CliRunner.Run("merge", merged, b, "--image-base-url", "http://artifacts.local/x").ExitCode.Should().Be(1, "the merged run fails");
        Summary(merged).Should().Contain("[picture](http://artifacts.local/x/images/s9.png)");

        var bad = CliRunner.Run("report", run, "--image-base-url", "ci/artifacts");
        bad.ExitCode.Should().Be(2, bad.ToString());
        bad.StdErr.Should().Contain("--image-base-url 'ci/artifacts' is not an absolute http(s) URL");
    }

    [Fact]
    public void Report_rebuilds_the_views_from_results_json()
    {
        var run = WriteRun("run", "1/1", "s0", 0);
        var r = CliRunner.Run("report", run);
        r.ExitCode.Should().Be(0, r.ToString());
        r.StdOut.Should().Contain("a.int8.onnx vs a.onnx: passed. 0 of 1 seeds deviate").And.Contain("report.html");
        foreach (var f in new[] { "report.html", "summary.md", "junit.xml" }) File.Exists(Path.Combine(run, f)).Should().BeTrue(f);
    }

    [Fact]
    public void Report_on_a_folder_without_results_is_a_clear_error()
    {
        var r = CliRunner.Run("report", dir);
        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain("has no results.json");
    }

    [Fact]
    public void Merge_combines_shards_and_names_a_missing_input()
    {
        var a = WriteRun("a", "1/2", "s0", 0);
        var b = WriteRun("b", "2/2", "s1", 1);
        var outDir = Path.Combine(dir, "merged");
        var r = CliRunner.Run("merge", outDir, a, b);
        r.ExitCode.Should().Be(0, r.ToString());
        r.StdOut.Should().Contain("shards 1/2, 2/2").And.Contain("0 of 2 seeds deviate");
        GateResultsStore.Read(outDir).Cases.Single().Seeds.Select(s => s.Id).Should().Equal("s0", "s1");

        var missing = CliRunner.Run("merge", outDir, a, Path.Combine(dir, "nope"));
        missing.ExitCode.Should().Be(2);
        missing.StdErr.Should().Contain("nope").And.Contain("does not exist");
    }

    [Fact]
    public void Merge_exits_1_when_the_merged_run_fails_though_every_shard_passed()
    {
        // One new deviation is allowed: each shard has one and passes; together they have two.
        var a = WriteRun("a", "1/2", "s0", 0, deviating: true, allowed: 1);
        var b = WriteRun("b", "2/2", "s1", 1, deviating: true, allowed: 1);
        foreach (var shard in new[] { a, b }) GateResultsStore.Read(shard).Passed.Should().BeTrue();

        var both = CliRunner.Run("merge", Path.Combine(dir, "both"), a, b);
        both.ExitCode.Should().Be(1, both.ToString());
        both.StdErr.Should().NotContain("error:");
        GateResultsStore.Read(Path.Combine(dir, "both")).Passed.Should().BeFalse();
        File.Exists(Path.Combine(dir, "both", "summary.md")).Should().BeTrue("the report is written before the exit code says it failed");

        CliRunner.Run("merge", Path.Combine(dir, "one"), a).ExitCode.Should().Be(0, "one shard alone still passes");
    }

    [Fact]
    public void Report_on_a_search_folder_says_which_folders_it_reads()
    {
        var search = Directory.CreateDirectory(Path.Combine(dir, "search")).FullName;
        File.WriteAllText(Path.Combine(search, "results.json"), """{ "tool": "dflare search", "run": {}, "summary": {}, "seeds": [] }""");
        var r = CliRunner.Run("report", search);
        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain("expected 'dflare gate'").And.Contain("triggers/").And.Contain("TestResults/dflare").And.Contain("dflare check --report");
    }

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
