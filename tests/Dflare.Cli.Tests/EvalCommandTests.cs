using System.Text.Json;

namespace Dflare.Cli.Tests;

public sealed class EvalCommandTests
{
    private static readonly string[] CifarNorm = ["--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225"];

    [Fact]
    public void Eval_of_the_resnet8_pair_prints_both_accuracies_and_the_seven_disagreements()
    {
        var r = CliRunner.Run(["eval", SharedData.Require("models/cifar10/resnet8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"),
            "--compare", SharedData.Require("models/cifar10/resnet8-int8.onnx"), .. CifarNorm]);

        r.ExitCode.Should().Be(0, r.ToString());
        r.StdOut.Should().Contain("87.55 % (816/932)").And.Contain("87.23 % (813/932)");
        r.StdOut.Should().Contain("disagree on 7 of 932 seeds: 178, 226, 265, 439, 618, 672, 685");
    }

    [Fact]
    public void Eval_json_prints_one_object_with_seeds_accuracy_compare_accuracy_and_disagreement_ids()
    {
        var r = CliRunner.Run(["eval", SharedData.Require("models/cifar10/resnet8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"),
            "--compare", SharedData.Require("models/cifar10/resnet8-int8.onnx"), "--json", .. CifarNorm]);

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(r.StdOut);
        var o = doc.RootElement;
        o.GetProperty("seeds").GetInt32().Should().Be(932);
        o.GetProperty("accuracy").GetDouble().Should().BeApproximately(0.8755, 0.00006);
        o.GetProperty("compareAccuracy").GetDouble().Should().BeApproximately(0.8723, 0.00006);
        o.GetProperty("disagreements").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(178, 226, 265, 439, 618, 672, 685);
    }

    [Fact]
    public void Eval_with_limit_and_sidecar_free_options_reproduces_mnist8_on_a_slice()
    {
        var r = CliRunner.Run("eval", SharedData.Require("models/mnist/mnist-8.onnx"),
            "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--limit", "500", "--json");

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(r.StdOut);
        doc.RootElement.GetProperty("seeds").GetInt32().Should().Be(500);
        doc.RootElement.GetProperty("accuracy").GetDouble().Should().BeGreaterThan(0.97);
        doc.RootElement.GetProperty("compareAccuracy").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public void Eval_of_mobilenet_with_resize_and_crop_options_gets_42_of_50()
    {
        var r = CliRunner.Run("eval", SharedData.Require("models/imagenet/mobilenetv2-12-int8.onnx"),
            "--seeds", SharedData.Require("data/imagenet/images"), "--resize", "256", "--crop", "224",
            "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225", "--json");

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(r.StdOut);
        doc.RootElement.GetProperty("accuracy").GetDouble().Should().Be(0.84);
    }

    [Fact]
    public void Eval_of_a_missing_seed_folder_exits_2_naming_it()
    {
        var r = CliRunner.Run("eval", SharedData.Require("models/mnist/mnist-8.onnx"), "--seeds", "/nonexistent/seeds");
        r.ExitCode.Should().Be(2);
        r.StdErr.Should().Contain("error:").And.Contain("/nonexistent/seeds").And.Contain("does not exist");
    }

    [Fact]
    public void Eval_of_a_mismatched_pair_exits_2_naming_both_models()
    {
        var r = CliRunner.Run("eval", SharedData.Require("models/mnist/mnist-8.onnx"),
            "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--limit", "10",
            "--compare", SharedData.Require("models/cifar10/resnet8.onnx"));
        r.ExitCode.Should().Be(2);
        r.StdErr.Should().Contain("mnist-8.onnx").And.Contain("resnet8.onnx").And.Contain("28x28x1");
    }

    [Fact]
    public void Eval_with_a_bad_layout_value_exits_2()
    {
        var r = CliRunner.Run("eval", SharedData.Require("models/mnist/mnist-8.onnx"),
            "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--layout", "chwn");
        r.ExitCode.Should().Be(2);
        r.StdErr.Should().Contain("layout 'chwn'");
    }
}
