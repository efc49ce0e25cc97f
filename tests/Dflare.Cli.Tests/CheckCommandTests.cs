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
        r.StdErr.Should().Contain("PASSED. 0 of 4 seeds deviate").And.Contain("margin ≥ 0.1, L∞ ≤ 32");
        var record = JsonSerializer.Deserialize<DeviationCaseRecord>(r.StdOut, GateResultsStore.Json)!;
        record.Passed.Should().BeTrue();
        record.Seeds.Should().HaveCount(4).And.OnlyContain(s => s.State == SeedState.Clean);
        (record.MinMargin, record.MaxLInf).Should().Be((0.1, 32));
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

        CliRunner.Run("accept", snaps).ExitCode.Should().Be(0);
        var again = CliRunner.Run([.. args, "--seed", "3"]);
        again.ExitCode.Should().Be(0, again.ToString());
        again.StdOut.Should().Contain("PASSED.").And.Contain(" known, 0 new, 0 changed, 0 fixed");
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
        margin.StdErr.Should().Contain("MinMargin must be in [0, 1)");
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
