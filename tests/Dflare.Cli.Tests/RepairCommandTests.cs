using System.Text.Json.Nodes;
using Dflare.Tests;

namespace Dflare.Cli.Tests;

/// <summary><c>dflare localize</c>, <c>dflare repair</c> and <c>dflare export-triggers</c> on a search of the real resnet8 / int8 pair.</summary>
[Collection("Console")]
public sealed class RepairCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dflare-cli-repair-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o); Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    private static readonly string[] Preprocessing = ["--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225"];

    private string[] Pair(string command, params string[] extra) =>
    [
        command,
        "--original", SharedData.Require("models/cifar10/resnet8.onnx"),
        "--compressed", SharedData.Require("models/cifar10/resnet8-int8.onnx"),
        "--results", Path.Combine(_dir, "search"), .. Preprocessing, .. extra,
    ];

    /// <summary>Searches test images 176..181 (178 already deviates) into DIR/search.</summary>
    private void Search()
    {
        var (code, _, err) = Run(
        [
            "search", "--original", SharedData.Require("models/cifar10/resnet8.onnx"), "--compressed", SharedData.Require("models/cifar10/resnet8-int8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"), .. Preprocessing,
            "--offset", "176", "--limit", "6", "--budget", "400", "--seed", "3", "--out", Path.Combine(_dir, "search"),
        ]);
        code.Should().Be(0, err);
    }

    [Fact]
    public void Localize_repair_and_export_work_on_a_search_of_the_real_pair()
    {
        Search();
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "search", "results.json")))!;
        int triggered = results["summary"]!["triggered"]!.GetValue<int>();
        triggered.Should().BeGreaterThan(0);

        var (code, stdout, stderr) = Run(Pair("localize"));
        code.Should().Be(0, stderr);
        stdout.Should().Contain("graph optimisations off").And.Contain("Every weighted layer matched").And.Contain("localize.json");
        var loc = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "search", "localize.json")))!;
        loc["layers"]!.AsArray().Should().HaveCount(13);
        loc["perTrigger"]!.AsArray().Should().HaveCount(triggered);
        loc["ranking"]!.AsArray().Should().HaveCount(10);
        Dflare.Images.Image.Load(Path.Combine(_dir, "search", "localize.png")).Width.Should().BeGreaterThan(600);

        var model = Path.Combine(_dir, "repaired.onnx");
        (code, stdout, stderr) = Run(Pair("repair", "--method", "bias-correction", "--out", model));
        code.Should().Be(0, stderr);
        stdout.Should().Contain("deviations on the repair set").And.Contain("bias corrected");
        using (var s = Dflare.Models.SessionCache.CreateSession(model)) s.OutputMetadata.Keys.Should().Equal("76");

        var export = Path.Combine(_dir, "export");
        (code, stdout, stderr) = Run(["export-triggers", export, .. Pair("x").Skip(1)]);
        code.Should().Be(0, stderr);
        var lines = File.ReadAllLines(Path.Combine(export, "labels.csv"));
        lines[0].Should().Be("file,label,class,compressed_label,seed,kind");
        lines.Should().HaveCount(1 + triggered + 1, "every trigger and the already-deviating seed 178");
        lines.Should().Contain(l => l.EndsWith(",178,deviating-seed", StringComparison.Ordinal));
        foreach (var l in lines.Skip(1))
        {
            var cells = l.Split(',');
            File.Exists(Path.Combine(export, cells[0])).Should().BeTrue(cells[0]);
            cells[0].Should().StartWith(cells[2] + "/", "each image sits in its class folder");
            cells[1].Should().NotBe(cells[3], "the two models disagree on it");
        }
    }

    [Fact]
    public void A_missing_results_folder_a_foreign_model_pair_and_a_method_that_does_not_fit_are_clear_errors()
    {
        foreach (var command in new[] { "localize", "repair", "export-triggers" })
        {
            string[] args = command switch
            {
                "repair" => Pair(command, "--method", "fallback", "--out", Path.Combine(_dir, "x.onnx")),
                "export-triggers" => ["export-triggers", Path.Combine(_dir, "e"), .. Pair("x").Skip(1)],
                _ => Pair(command),
            };
            var (code, _, err) = Run(args);
            code.Should().Be(2, command);
            err.Should().Contain("Results folder").And.Contain("does not exist").And.NotContain("   at ", "no stack trace");
        }

        // A team after `dotnet test` has the gate's report directory, not a search folder: the error says what to run.
        var gate = Directory.CreateDirectory(Path.Combine(_dir, "search")).FullName;
        Dflare.Reports.GateResultsStore.Write(new Dflare.Reports.GateResults { Project = "T" }, gate);
        var (cg, _, eg) = Run(Pair("localize"));
        cg.Should().Be(2);
        eg.Should().Contain("is the report of a Dflare test run").And.Contain("dflare search").And.Contain("--out DIR");
        Directory.Delete(gate, recursive: true);

        Search();
        var (c2, _, e2) = Run(
        [
            "localize", "--original", SharedData.Require("models/mnist/cnn-pytorch.onnx"), "--compressed", SharedData.Require("models/mnist/mnist-8.onnx"),
            "--results", Path.Combine(_dir, "search"),
        ]);
        c2.Should().Be(2);
        e2.Should().Contain("Model mismatch").And.Contain("32x32x3").And.Contain("28x28x1");

        var (c3, _, e3) = Run(Pair("repair", "--method", "recalibrate", "--out", Path.Combine(_dir, "r.onnx")));
        c3.Should().Be(2);
        e3.Should().Contain("Re-calibration applies to static int8 QDQ models");
        File.Exists(Path.Combine(_dir, "r.onnx")).Should().BeFalse("nothing is written on error");

        var (c4, _, e4) = Run(Pair("repair", "--method", "retrain", "--out", Path.Combine(_dir, "r.onnx")));
        c4.Should().Be(2);
        e4.Should().Contain("Unknown repair method 'retrain'");
        var (c5, _, e5) = Run(Pair("repair", "--method", "fallback", "--bias-data", "seeds", "--out", Path.Combine(_dir, "r.onnx")));
        c5.Should().Be(2);
        e5.Should().Contain("--bias-data applies to --method bias-correction only");
        var (c6, _, e6) = Run(Pair("repair", "--method", "head-refit", "--max-layers", "2", "--out", Path.Combine(_dir, "r.onnx")));
        c6.Should().Be(2);
        e6.Should().Contain("--max-layers and --rank-by apply to --method fallback only");
        var (c7, _, e7) = Run(Pair("repair", "--method", "fallback", "--fallback-mode", "random", "--out", Path.Combine(_dir, "r.onnx")));
        c7.Should().Be(2);
        e7.Should().Contain("Unknown fallback mode 'random'; the modes are: greedy, ordered");
        var (c8, _, e8) = Run(Pair("repair", "--method", "fallback", "--drop-ranges", "--out", Path.Combine(_dir, "r.onnx")));
        c8.Should().Be(2);
        e8.Should().Contain("--drop-ranges applies to --method activation-fallback only");
    }
}
