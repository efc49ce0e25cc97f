using System.Text.Json;

namespace Dflare.Cli.Tests;

public sealed class DemoCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-demo-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Demo(string name) => Path.Combine(AppContext.BaseDirectory, "Demo", name);

    [Fact]
    public void Demo_searches_the_built_in_pair_and_writes_results_and_trigger_pictures()
    {
        var outDir = Path.Combine(_dir, "out");

        var r = CliRunner.Run("demo", "--limit", "6", "--budget", "600", "--out", outDir);

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var summary = doc.RootElement.GetProperty("summary");
        summary.GetProperty("seeds").GetInt32().Should().Be(6);
        var triggered = summary.GetProperty("triggered").GetInt32();
        triggered.Should().BeGreaterThan(0, "the int8 demo copy deviates from the original on most seeds");
        Directory.GetFiles(Path.Combine(outDir, "triggers"), "seed-*-input.png").Should().HaveCount(triggered);
        r.StdOut.Should().Contain("fashion-lenet.int8.onnx").And.Contain("L∞ ≤ 16", "the demo is bounded by default and says so");
        doc.RootElement.GetProperty("run").GetProperty("strategy").GetString().Should().Be("square");
        doc.RootElement.GetProperty("run").GetProperty("maxLinf").GetInt32().Should().Be(16);
        foreach (var s in doc.RootElement.GetProperty("seeds").EnumerateArray().Where(s => s.GetProperty("status").GetString() == "triggered"))
            s.GetProperty("linf").GetInt32().Should().BeLessThanOrEqualTo(16);
        // Written to a pipe (as in a CI log), the table keeps one seed a line instead of wrapping at 80 columns.
        var first = doc.RootElement.GetProperty("seeds").EnumerateArray().First(s => s.GetProperty("status").GetString() == "triggered").GetProperty("id").GetString();
        r.StdOut.Split('\n').Should().Contain(line => line.StartsWith($"│ {first} ", StringComparison.Ordinal) && line.Contains("triggered"), r.StdOut);
    }

    [Fact]
    public void Demo_with_max_linf_0_searches_unbounded_with_dflare()
    {
        var outDir = Path.Combine(_dir, "out");

        var r = CliRunner.Run("demo", "--limit", "2", "--budget", "200", "--max-linf", "0", "--out", outDir);

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        doc.RootElement.GetProperty("run").GetProperty("strategy").GetString().Should().Be("dflare");
        r.StdOut.Should().Contain("bound      none");
    }

    [Fact]
    public void The_committed_compressed_demo_model_is_what_dflare_compress_makes()
    {
        var fresh = Path.Combine(_dir, "fresh.int8.onnx");

        var r = CliRunner.Run("compress", Demo("fashion-lenet.onnx"), "--method", "int8", "--out", fresh);

        r.ExitCode.Should().Be(0, r.ToString());
        File.ReadAllBytes(fresh).Should().Equal(File.ReadAllBytes(Demo("fashion-lenet.int8.onnx")),
            "regenerate it with: dflare compress src/Dflare.Cli/Demo/fashion-lenet.onnx --method int8 --out src/Dflare.Cli/Demo/fashion-lenet.int8.onnx");
    }
}
