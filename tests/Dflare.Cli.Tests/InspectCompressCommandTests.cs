using System.Text.Json;

namespace Dflare.Cli.Tests;

public sealed class InspectCompressCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-ic-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("models/cifar10/resnet8.onnx", "Conv", 9, "Gemm", 1)]
    [InlineData("models/cifar10/resnet8-int8.onnx", "QLinearConv", 9, "QLinearMatMul", 1)]
    public void Inspect_json_counts_the_weighted_layers_of_the_real_resnet8_pair(string model, string op1, int n1, string op2, int n2)
    {
        var r = CliRunner.Run("inspect", SharedData.Require(model), "--json");

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(r.StdOut);
        var counts = doc.RootElement.GetProperty("layerCounts");
        counts.GetProperty(op1).GetInt32().Should().Be(n1);
        counts.GetProperty(op2).GetInt32().Should().Be(n2);
        doc.RootElement.GetProperty("layers").GetArrayLength().Should().Be(n1 + n2);
    }

    [Fact]
    public void Compress_with_eval_reports_sizes_and_accuracy_of_both_models()
    {
        var outPath = Path.Combine(_dir, "cnn.fp16.onnx");

        var r = CliRunner.Run("compress", SharedData.Require("models/mnist/cnn-pytorch.onnx"), "--method", "fp16", "--out", outPath,
            "--mean", "0.5", "--std", "0.5", "--eval", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--eval-limit", "300");

        r.ExitCode.Should().Be(0, r.ToString());
        new FileInfo(outPath).Length.Should().BeLessThan(new FileInfo(SharedData.Require("models/mnist/cnn-pytorch.onnx")).Length * 6 / 10, "fp16 weights halve the file");
        r.StdOut.Should().Contain("disagree on").And.Contain("%");
    }

    [Theory]
    [InlineData("bits:1", "outside 2..16")]
    [InlineData("prune:1.5", "prune")]
    [InlineData("zip", "zip")]
    public void Compress_with_a_bad_method_exits_2_and_writes_nothing(string method, string message)
    {
        var outPath = Path.Combine(_dir, "bad.onnx");

        var r = CliRunner.Run("compress", SharedData.Require("models/mnist/mnist-8.onnx"), "--method", method, "--out", outPath);

        r.ExitCode.Should().Be(2);
        r.StdErr.Should().Contain("error:").And.Contain(message);
        File.Exists(outPath).Should().BeFalse();
        Directory.GetFiles(_dir).Should().BeEmpty("no temp file is left behind");
    }

    [Theory]
    [InlineData("bits:4", "--bits-per-layer", "conv9=4", "error: --bits-per-layer names 'conv9', which is not a float weighted layer")]
    [InlineData("int8-static", null, null, "error: Method int8-static needs calibration images: set --calibration (and --limit).")]
    public void Compress_errors_name_the_flags_where_core_names_the_settings(string method, string? option, string? value, string message)
    {
        var outPath = Path.Combine(_dir, "bad.onnx");
        string[] extra = option is null ? [] : [option, value!];

        var r = CliRunner.Run(["compress", SharedData.Require("models/mnist/mnist-8.onnx"), "--method", method, "--out", outPath, .. extra]);

        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain(message).And.NotContain("BitsPerLayer").And.NotContain("CalibrationLimit");
        File.Exists(outPath).Should().BeFalse();
    }
}
