using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Images;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Onnx.Proto;

namespace Dflare.Cli.Tests;

public sealed class QuanosCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-quanos-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] MnistCnn(params string[] more) =>
        ["quanos", SharedData.Require("models/mnist/cnn-pytorch.onnx"), "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"),
         "--mean", "0.5", "--std", "0.5", .. more];

    [Fact]
    public void Json_report_chart_and_hybrid_model_are_written_and_the_same_command_twice_gives_the_same_numbers()
    {
        var report = Path.Combine(_dir, "report");
        var hybrid = Path.Combine(_dir, "hybrid.onnx");
        string[] args = MnistCnn("--limit", "6", "--epsilon", "0.1", "--gradient", "spsa", "--samples", "8", "--grid", "5",
            "--report", report, "--out", hybrid, "--json");

        var r = CliRunner.Run(args);
        var again = CliRunner.Run(args);

        r.ExitCode.Should().Be(0, r.ToString());
        again.ExitCode.Should().Be(0, again.ToString());
        var file = Path.Combine(report, "quanos.json");
        JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(file)), JsonNode.Parse(again.StdOut)).Should().BeTrue("the report file holds the printed JSON");
        static JsonNode? WithoutTime(string json) { var n = JsonNode.Parse(json)!; n.AsObject().Remove("seconds"); return n; }
        JsonNode.DeepEquals(WithoutTime(r.StdOut), WithoutTime(again.StdOut)).Should().BeTrue("the same command gives the same numbers");

        using var doc = JsonDocument.Parse(r.StdOut);
        var o = doc.RootElement;
        o.GetProperty("epsilon").GetDouble().Should().Be(0.1);
        o.GetProperty("gradient").GetString().Should().Be("spsa");
        o.GetProperty("samples").GetInt32().Should().Be(8);
        o.GetProperty("seeds").GetInt32().Should().Be(6);
        o.GetProperty("kInit").GetInt32().Should().Be(16);
        o.GetProperty("cleanAccuracy").GetDouble().Should().Be(1.0);
        o.GetProperty("adversarialAccuracy").ValueKind.Should().Be(JsonValueKind.Number);
        o.GetProperty("medianFlipEpsilon").ValueKind.Should().BeOneOf(JsonValueKind.Number, JsonValueKind.Null);
        var layers = o.GetProperty("layers").EnumerateArray().ToArray();
        layers.Select(l => l.GetProperty("name").GetString()).Should().Equal("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        layers.Select(l => l.GetProperty("op").GetString()).Should().Equal("Conv", "Conv", "Gemm", "Gemm");
        foreach (var l in layers)
        {
            var ans = l.GetProperty("ans").GetDouble();
            ans.Should().BeGreaterThanOrEqualTo(0).And.Match(v => double.IsFinite(v));
            l.GetProperty("bits").GetInt32().Should().Be(Math.Clamp(16 - (int)Math.Round(16 * ans, MidpointRounding.AwayFromZero), 2, 16));
            l.GetProperty("margin").GetDouble().Should().BeInRange(0, 0.5);
            o.GetProperty("bits").GetProperty("ans").GetProperty(l.GetProperty("name").GetString()!).GetInt32().Should().Be(l.GetProperty("bits").GetInt32());
        }
        o.GetProperty("refine").GetInt32().Should().Be(0);
        o.GetProperty("fragileLayers").EnumerateArray().Select(e => e.GetString())
            .Should().Equal(layers.Where(l => l.GetProperty("fragile").GetBoolean()).Select(l => l.GetProperty("name").GetString()));
        o.GetProperty("clampedLayers").EnumerateArray().Select(e => e.GetString())
            .Should().Equal(layers.Where(l => l.GetProperty("clamped").GetBoolean()).Select(l => l.GetProperty("name").GetString()));
        var models = o.GetProperty("models").EnumerateArray().ToArray();
        models.Select(m => m.GetProperty("kind").GetString()).Should().Equal("float", "ansHybrid", "constrainedHybrid", "uniform8", "uniformAnsMean", "uniformConstrainedMean");
        models.Should().OnlyContain(m => m.GetProperty("adversarialAccuracy").ValueKind == JsonValueKind.Number);
        var sizes = o.GetProperty("sizes");
        sizes.GetProperty("ansHybridWeightBytes").GetDouble().Should().BeLessThan(sizes.GetProperty("floatWeightBytes").GetDouble());
        o.GetProperty("claims").GetArrayLength().Should().Be(2);
        o.GetProperty("out").GetString().Should().Be(hybrid);
        o.GetProperty("outVariant").GetString().Should().Be("constrainedHybrid");

        // The hybrid runs in ORT with the same preprocessing, and the chart is a real PNG with a row per layer.
        using var h = OnnxClassifier.Load(hybrid, new ModelOptions { Mean = [0.5], Std = [0.5] });
        h.Predict(new Image(28, 28, 1)).Should().HaveCount(10);
        var png = Image.Load(Path.Combine(report, "quanos-layers.png"));
        png.Channels.Should().Be(3);
        png.Width.Should().BeGreaterThan(600);
        png.Height.Should().BeGreaterThan(4 * 60);
    }

    [Fact]
    public void Human_output_prints_the_layer_table_the_models_and_the_claims()
    {
        var r = CliRunner.Run(MnistCnn("--limit", "3", "--epsilon", "0.1", "--gradient", "spsa", "--samples", "4", "--grid", "3", "--no-compare"));

        r.ExitCode.Should().Be(0, r.ToString());
        var text = System.Text.RegularExpressions.Regex.Replace(r.StdOut, @"\s+", " ");
        text.Should().Contain("3 seeds from IDX").And.Contain("ε = 0.1 (25.5/255)").And.Contain("SPSA (4 samples").And.Contain("k_init 16")
            .And.Contain("fc2/Gemm").And.Contain("k·ANS").And.Contain("Constrained variant").And.Contain("uniform 8-bit")
            .And.Contain("QUANOS claim").And.Contain("n/a");
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("255", "1")]
    [InlineData("-0.1", "-0.1")]
    [InlineData("300/255", "1.176")]
    public void An_epsilon_outside_0_1_exits_2(string epsilon, string got)
    {
        var r = CliRunner.Run(MnistCnn("--limit", "1", "--epsilon", epsilon));

        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain("error: --epsilon must be in (0, 1) in [0,1] pixel units").And.Contain($"got {got}");
        r.StdOut.Should().BeEmpty();
    }

    [Fact]
    public void Bad_options_seeds_of_the_wrong_size_and_a_model_without_weighted_layers_exit_2()
    {
        var kInit = CliRunner.Run(MnistCnn("--limit", "1", "--k-init", "20"));
        kInit.ExitCode.Should().Be(2);
        kInit.StdErr.Should().Contain("k_init must be an integer from 2 to 16").And.Contain("got 20");

        var variant = CliRunner.Run(MnistCnn("--limit", "1", "--variant", "best"));
        variant.ExitCode.Should().Be(2);
        variant.StdErr.Should().Contain("Unknown --variant 'best'");

        var wrong = CliRunner.Run(["quanos", SharedData.Require("models/cifar10/resnet8.onnx"),
            "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--limit", "2", "--json"]);
        wrong.ExitCode.Should().Be(2, wrong.ToString());
        wrong.StdErr.Should().Contain("error: Seed '0': Image of 28x28 does not fit model").And.Contain("32x32");
        wrong.StdOut.Should().BeEmpty();

        var noLayers = TestModels.NoWeightedLayers(_dir);
        var none = CliRunner.Run(["quanos", noLayers, "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--limit", "2"]);
        none.ExitCode.Should().Be(2, none.ToString());
        none.StdErr.Should().Contain($"error: Model '{noLayers}' has no weighted layers");

        var int8 = CliRunner.Run(["quanos", SharedData.Require("models/cifar10/resnet8-int8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"), "--limit", "1", "--out", Path.Combine(_dir, "x.onnx")]);
        int8.ExitCode.Should().Be(2, int8.ToString());
        int8.StdErr.Should().Contain("--out: no hybrid-precision model can be built").And.Contain("float weights");
        File.Exists(Path.Combine(_dir, "x.onnx")).Should().BeFalse();
    }
}
