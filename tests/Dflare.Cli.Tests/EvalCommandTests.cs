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
    public void Compressed_options_preprocess_the_compare_model_apart_from_the_first()
    {
        // cnn-pytorch wants mean 0.5 / std 0.5; mnist-8 wants plain 0..1 pixels.
        string[] common = ["eval", SharedData.Require("models/mnist/cnn-pytorch.onnx"), "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"),
            "--limit", "500", "--mean", "0.5", "--std", "0.5", "--compare", SharedData.Require("models/mnist/mnist-8.onnx"), "--json"];
        static (double First, double Compare) Accuracies(CliResult r)
        {
            r.ExitCode.Should().Be(0, r.ToString());
            using var doc = JsonDocument.Parse(r.StdOut);
            return (doc.RootElement.GetProperty("accuracy").GetDouble(), doc.RootElement.GetProperty("compareAccuracy").GetDouble());
        }
        var alone = CliRunner.Run("eval", SharedData.Require("models/mnist/mnist-8.onnx"), "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--limit", "500", "--json");
        alone.ExitCode.Should().Be(0, alone.ToString());
        double mnist8 = JsonDocument.Parse(alone.StdOut).RootElement.GetProperty("accuracy").GetDouble();

        var shared = Accuracies(CliRunner.Run(common));
        var apart = Accuracies(CliRunner.Run([.. common, "--compressed-mean", "0", "--compressed-std", "1"]));

        apart.First.Should().Be(shared.First, "the first model keeps the shared options");
        apart.Compare.Should().Be(mnist8, "with its own options mnist-8 scores as it does alone");
        shared.Compare.Should().BeLessThan(mnist8, "the shared mean/std are wrong for mnist-8");

        var orphan = CliRunner.Run("eval", SharedData.Require("models/mnist/mnist-8.onnx"), "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"),
            "--limit", "5", "--compressed-std", "1");
        orphan.ExitCode.Should().Be(2);
        orphan.StdErr.Should().Contain("--compressed-std applies to the --compare model");
    }

    [Fact]
    public void Eval_of_mobilenet_with_resize_and_crop_options_gets_about_42_of_50()
    {
        var r = CliRunner.Run("eval", SharedData.Require("models/imagenet/mobilenetv2-12-int8.onnx"),
            "--seeds", SharedData.Require("data/imagenet/images"), "--resize", "256", "--crop", "224",
            "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225", "--json");

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(r.StdOut);
        // 42 with PIL's JPEG decoder (resizing matches PIL bit for bit); stb_image's decoding moves two borderline photos.
        doc.RootElement.GetProperty("accuracy").GetDouble().Should().BeInRange(0.80, 0.84);
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
