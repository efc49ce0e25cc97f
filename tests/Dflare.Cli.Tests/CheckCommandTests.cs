using System.Text.Json;
using Dflare.Check;
using Dflare.Reports;

namespace Dflare.Cli.Tests;

/// <summary><c>dflare check</c>: exit 0 pass, 1 a problem found, 2 bad input; <c>--json</c>; snapshots and a report.</summary>
public sealed class CheckCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dflare-cli-check-").FullName;
    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    [Fact]
    public void A_good_copy_passes_with_exit_0_and_json_on_stdout()
    {
        var r = CliRunner.Run("check", "--original", Demo("fashion-lenet.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"),
            "--seeds", Demo("seeds"), "--limit", "4", "--budget", "200", "--json");
        r.ExitCode.Should().Be(0, r.ToString());
        r.StdErr.Should().Contain("PASSED. 0 of 4 seeds deviate").And.Contain("margin ≥ 0.1, L∞ ≤ 16")
            .And.Contain("dflare check: fashion-lenet.int8.onnx against fashion-lenet.onnx; a deviation counts when margin ≥ 0.1, L∞ ≤ 16; strategy square, budget 200 queries per seed",
                "what the check is about to spend is said before it starts");
        var record = JsonSerializer.Deserialize<DeviationCaseRecord>(r.StdOut, GateResultsStore.Json)!;
        record.Passed.Should().BeTrue();
        record.Seeds.Should().HaveCount(4).And.OnlyContain(s => s.State == SeedState.Clean);
        (record.MinMargin, record.MaxLInf).Should().Be((0.1, 16));
    }

    [Fact]
    public void A_pruned_copy_fails_with_exit_1_writes_received_snapshots_and_a_report_and_passes_once_accepted()
    {
        var pruned = Path.Combine(dir, "pruned.onnx");
        CliRunner.Run("compress", Demo("fashion-lenet.onnx"), "--method", "prune:0.5", "--out", pruned).ExitCode.Should().Be(0);
        string snaps = Path.Combine(dir, "Snapshots"), report = Path.Combine(dir, "report");
        string[] args = ["check", "--original", Demo("fashion-lenet.onnx"), "--compressed", pruned, "--seeds", Demo("seeds"),
            "--offset", "4", "--limit", "3", "--budget", "400", "--snapshots", snaps, "--report", report];
        var r = CliRunner.Run(args);
        r.ExitCode.Should().Be(1, r.ToString());
        r.StdOut.Should().Contain("FAILED.").And.Contain("new seed fmnist-test-00004").And.Contain("dflare accept");
        Directory.GetFiles(snaps, "check.pruned.seed=*.received.png").Where(f => !f.Contains("composite", StringComparison.Ordinal)).Should().NotBeEmpty();
        GateResultsStore.Read(report).Pairs.Single().New.Should().BeGreaterThan(0);
        File.ReadAllText(Path.Combine(report, "summary.md")).Should().Contain("❌ failed");

        int accepted = Directory.GetFiles(snaps, "*.verified.png").Length;
        CliRunner.Run("accept", snaps).ExitCode.Should().Be(0);
        accepted = Directory.GetFiles(snaps, "*.verified.png").Length - accepted;
        accepted.Should().BeGreaterThan(0);
        // Another run seed: every accepted input is replayed and stays known; a seed the first run did not find may
        // be found now (new), but nothing accepted is searched again or reported as changed.
        var again = CliRunner.Run([.. args, "--seed", "3", "--json"]);
        var rerun = JsonSerializer.Deserialize<DeviationCaseRecord>(again.StdOut, GateResultsStore.Json)!;
        rerun.Seeds.Count(x => x.State == SeedState.Known).Should().Be(accepted, again.ToString());
        rerun.Seeds.Should().NotContain(x => x.State == SeedState.Changed || x.State == SeedState.Error);
        again.ExitCode.Should().Be(rerun.Seeds.Any(x => x.State == SeedState.New) ? 1 : 0, again.ToString());
        again.StdErr.Should().Contain($"{accepted} known");
    }

    [Fact]
    public void Sample_checks_that_many_seeds_spread_across_the_classes()
    {
        // --sample was listed in --help but not passed on: the check ran every seed of the source.
        var r = CliRunner.Run("check", "--original", Demo("fashion-lenet.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"),
            "--seeds", Demo("seeds"), "--sample", "5", "--budget", "20", "--json");
        r.ExitCode.Should().Be(0, r.ToString());
        var record = JsonSerializer.Deserialize<DeviationCaseRecord>(r.StdOut, GateResultsStore.Json)!;
        record.Seeds.Should().HaveCount(5);
        record.Seeds.Select(s => s.TrueClass).Distinct().Should().HaveCount(5, "a sample takes the classes in turn");
        CliRunner.Run("check", "--original", Demo("fashion-lenet.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"),
            "--seeds", Demo("seeds"), "--sample", "0").StdErr.Should().Contain("--sample must be positive");
    }

    [Fact]
    public void A_pair_that_is_not_a_compression_pair_is_refused_before_any_search_unless_the_sanity_check_is_off()
    {
        // 90 % of the weights pruned: the copy disagrees with the original on most unmodified seeds.
        var wrecked = Path.Combine(dir, "wrecked.onnx");
        CliRunner.Run("compress", Demo("fashion-lenet.onnx"), "--method", "prune:0.9", "--out", wrecked).ExitCode.Should().Be(0);
        string[] args = ["check", "--original", Demo("fashion-lenet.onnx"), "--compressed", wrecked, "--seeds", Demo("seeds"), "--limit", "2", "--budget", "20"];
        var r = CliRunner.Run(args);
        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain("wrecked.onnx").And.Contain("not a compression pair").And.Contain("--no-sanity-check").And.NotContain("   at ");
        r.StdOut.Should().NotContain("PASSED").And.NotContain("FAILED");

        var off = CliRunner.Run([.. args, "--no-sanity-check"]);
        off.ExitCode.Should().NotBe(2, off.ToString());
        off.StdOut.Should().MatchRegex("(PASSED|FAILED)\\.");
    }

    [Fact]
    public void Bad_input_exits_2_naming_the_file_or_option()
    {
        var missing = CliRunner.Run("check", "--original", Path.Combine(dir, "nope.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"), "--seeds", Demo("seeds"));
        missing.ExitCode.Should().Be(2, missing.ToString());
        missing.StdErr.Should().Contain("nope.onnx").And.NotContain("   at ");
        var linf = CliRunner.Run("check", "--original", Demo("fashion-lenet.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"), "--seeds", Demo("seeds"), "--max-linf", "300");
        linf.ExitCode.Should().Be(2);
        linf.StdErr.Should().Contain("--max-linf");
        var margin = CliRunner.Run("check", "--original", Demo("fashion-lenet.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"), "--seeds", Demo("seeds"), "--min-margin", "1.5");
        margin.ExitCode.Should().Be(2);
        margin.StdErr.Should().Contain("--min-margin must be in [0, 1)");
        File.WriteAllText(Path.Combine(dir, "afile"), "x");
        var report = CliRunner.Run("check", "--original", Demo("fashion-lenet.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"), "--seeds", Demo("seeds"), "--report", Path.Combine(dir, "afile"));
        report.ExitCode.Should().Be(2);
        report.StdErr.Should().Contain("--report").And.Contain("is a file");
        var shard = CliRunner.Run("check", "--original", Demo("fashion-lenet.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"), "--seeds", Demo("seeds"), "--shard", "3/2");
        shard.ExitCode.Should().Be(2);
        shard.StdErr.Should().Contain("--shard '3/2'");
    }

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
