using Dflare.Datasets;
using Dflare.Evaluation;
using Dflare.Models;

namespace Dflare.Tests.Models;

public sealed class ModelOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-opt-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A link to a shared model inside a temp folder, so a sidecar can sit beside it (nothing is copied).</summary>
    private string Link(string shared, string name)
    {
        var link = Path.Combine(_dir, name);
        File.CreateSymbolicLink(link, SharedData.Require(shared));
        return link;
    }

    [Fact]
    public void The_sidecar_beside_a_model_is_read_automatically_and_options_override_it()
    {
        var model = Link("models/mnist/cnn-pytorch.onnx", "cnn.onnx");
        File.WriteAllText(model + ".json", """{ "scale": 0.00392156862745098, "mean": [0.5], "std": [0.5], "layout": "NCHW", "output": "output", "outputKind": "logits" }""");
        var seeds = SeedSource.Open(SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz")).Load(0, 1000);

        var withSidecar = OnnxClassifier.Load(model);
        var overridden = OnnxClassifier.Load(model, new ModelOptions { Mean = [0.0], Std = [1.0] });

        withSidecar.Info.Preprocessing.Mean.Should().Equal(0.5);
        overridden.Info.Preprocessing.Mean.Should().Equal(0.0);
        overridden.Info.Preprocessing.Scale.Should().Be(1 / 255.0, "unset options keep the sidecar's value");
        var good = Evaluator.Evaluate(withSidecar, seeds).Accuracy!.Value;
        var bad = Evaluator.Evaluate(overridden, seeds).Accuracy!.Value;
        good.Should().BeGreaterThan(0.97);
        bad.Should().BeLessThan(good, "the wrong normalisation hurts this model");
    }

    [Fact]
    public void The_catalogue_entry_format_with_a_resize_object_is_understood()
    {
        var o = ModelOptions.FromJson("""
            { "input": "input", "shape": [-1, 3, 224, 224], "layout": "NCHW",
              "resize": { "shortSide": 256, "centerCrop": 224, "filter": "bilinear" },
              "scale": 0.00392156862745098, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
              "output": "output", "outputKind": "logits", "accuracy": 0.84 }
            """);
        o.ResizeShortSide.Should().Be(256);
        o.CenterCrop.Should().Be(224);
        o.Layout.Should().Be(TensorLayout.Nchw);
        o.OutputKind.Should().Be(OutputKind.Logits);
        o.Mean.Should().Equal(0.485, 0.456, 0.406);
    }

    [Fact]
    public void A_broken_sidecar_is_reported_with_its_path()
    {
        var model = Link("models/mnist/mnist-8.onnx", "m8.onnx");
        File.WriteAllText(model + ".json", """{ "mean": "half" }""");
        ((Action)(() => OnnxClassifier.Load(model))).Should().Throw<DflareException>().WithMessage("*m8.onnx.json*'mean'*");
        File.WriteAllText(model + ".json", "{ not json");
        ((Action)(() => OnnxClassifier.Load(model))).Should().Throw<DflareException>().WithMessage("*m8.onnx.json*not valid JSON*");
    }

    [Fact]
    public void Layout_override_and_wrong_mean_length_are_checked()
    {
        var path = SharedData.Require("models/cifar10/resnet8.onnx");
        ((Action)(() => OnnxClassifier.Load(path, new ModelOptions { Mean = [0.1, 0.2] })))
            .Should().Throw<DflareException>().WithMessage("*mean has 2 values*3 channel*");
        ((Action)(() => OnnxClassifier.Load(path, new ModelOptions { Output = "nope" })))
            .Should().Throw<DflareException>().WithMessage("*no output 'nope'*76*");
    }

    [Fact]
    public void A_forced_output_kind_is_respected()
    {
        var clf = OnnxClassifier.Load(SharedData.Require("models/cifar10/squeezenet-nhwc.onnx"), new ModelOptions { OutputKind = OutputKind.Logits });
        clf.Info.OutputKind.Should().Be(OutputKind.Logits);
    }

    [Fact]
    public void Grey_seeds_are_converted_for_an_rgb_model()
    {
        var clf = OnnxClassifier.Load(SharedData.Require("models/cifar10/resnet8.onnx"), RealModelAccuracyTests.CifarResnetOptions);
        var grey = new Dflare.Images.Image(32, 32, 1);
        clf.Prepare(grey).Channels.Should().Be(3);
        clf.Predict(grey).Should().HaveCount(10);
    }
}
