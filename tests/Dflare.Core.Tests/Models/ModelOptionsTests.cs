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

    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    /// <summary>The demo pair linked into a temp folder, the original without a sidecar, the compressed with its own.</summary>
    private (string Original, string Compressed) DemoPair()
    {
        var o = Path.Combine(_dir, "original.onnx");
        var c = Path.Combine(_dir, "compressed.onnx");
        File.CreateSymbolicLink(o, Demo("fashion-lenet.onnx"));
        File.CreateSymbolicLink(c, Demo("fashion-lenet.int8.onnx"));
        File.Copy(Demo("fashion-lenet.int8.onnx.json"), c + ".json");
        return (o, c);
    }

    [Fact]
    public void A_shared_option_fills_a_missing_sidecar_but_never_overrides_a_different_sidecar_value()
    {
        var (o, c) = DemoPair();

        var filled = ModelPair.Load(o, c, new ModelOptions { Mean = [0.5], Std = [0.5] });
        filled.Original.Info.Preprocessing.Mean.Should().Equal(0.5);
        filled.Original.Info.Sources["mean"].Should().Be("option");
        filled.Compressed.Info.Sources["mean"].Should().Be("sidecar", "the same value as the sidecar's is the sidecar's");

        var clash = () => ModelPair.Load(o, c, new ModelOptions { Mean = [0.1307], Std = [0.3081] });
        clash.Should().Throw<DflareException>().WithMessage("*compressed.onnx*shared option mean = [0.1307] disagrees with its sidecar*compressed.onnx.json*mean = [0.5]*for the compressed model only*");

        var own = ModelPair.Load(o, c, new ModelOptions { Mean = [0.5], Std = [0.5] }, new ModelOptions { Mean = [0.25] }.OverriddenBy(null));
        own.Compressed.Info.Preprocessing.Mean.Should().Equal([0.25], "an option given for one model alone overrides its sidecar");
        own.Compressed.Info.Sources["mean"].Should().Be("option");
    }

    [Fact]
    public void The_effective_preprocessing_says_where_every_value_came_from()
    {
        var (o, c) = DemoPair();
        var pair = ModelPair.Load(o, c, new ModelOptions { Mean = [0.5], Std = [0.5] });
        var orig = pair.Original.Info.Effective().ToDictionary(e => e.Field, e => (e.Value, e.Source));
        orig["mean"].Should().Be(("[0.5]", "option"));
        orig["scale"].Should().Be(("0.00392157", "default"));
        orig["input"].Should().Be(("input", "model"));
        orig["filter"].Should().Be(("bilinear", "default"));
        var comp = pair.Compressed.Info.Effective().ToDictionary(e => e.Field, e => (e.Value, e.Source));
        comp["scale"].Source.Should().Be("sidecar");
        comp["outputKind"].Should().Be(("logits", "sidecar"));
        pair.DescribePreprocessing().Should().Contain("original.onnx: input input (model)").And.Contain("compressed.onnx: input input (sidecar)");
        pair.Compressed.Info.PreprocessingJson()["std"]!["source"]!.GetValue<string>().Should().Be("sidecar");
    }

    [Theory]
    [InlineData("""{ "means": [0.5] }""", "*unknown key 'means' (did you mean 'mean'?)*known keys are input, scale, mean, std*")]
    [InlineData("""{ "resize": 2.5 }""", "*'resize' must be a whole number, not the number 2.5*")]
    [InlineData("""{ "resize": { "filter": 3 } }""", "*'resize.filter' must be a string, not the number 3*")]
    [InlineData("""{ "resize": { "shortSide": 32, "flter": "bicubic" } }""", "*unknown key 'resize.flter' (did you mean 'filter'?)*")]
    [InlineData("""{ "resize": "big" }""", "*'resize' must be a whole number or an object*not the string \"big\"*")]
    [InlineData("""{ "antialias": "yes" }""", "*'antialias' must be true or false*")]
    [InlineData("""{ "filter": "cubic-spline" }""", "*filter 'cubic-spline' is not valid; the valid values are nearest, bilinear, bicubic, lanczos*")]
    [InlineData("""{ "layout": "chw" }""", "*layout 'chw' is not valid; the valid values are nchw, nhwc*")]
    [InlineData("""{ "outputKind": "scores" }""", "*outputKind 'scores' is not valid; the valid values are logits, probabilities*auto*")]
    [InlineData("""{ "scale": "1/255" }""", "*'scale' must be a number, not the string*")]
    public void A_sidecar_with_an_unknown_key_or_a_wrong_type_is_an_error_naming_the_file_and_key(string json, string message)
    {
        var model = Path.Combine(_dir, "m.onnx");
        File.CreateSymbolicLink(model, Demo("fashion-lenet.onnx"));
        File.WriteAllText(model + ".json", json);
        ((Action)(() => OnnxClassifier.Load(model))).Should().Throw<DflareException>().WithMessage("*m.onnx.json*" + message);
    }

    [Fact]
    public void A_sidecar_filter_is_used_to_resize_seeds_and_reported()
    {
        var model = Path.Combine(_dir, "m.onnx");
        File.CreateSymbolicLink(model, Demo("fashion-lenet.onnx"));
        File.WriteAllText(model + ".json", """{ "scale": 0.00392156862745098, "mean": 0.5, "std": 0.5, "resize": { "shortSide": 28, "centerCrop": 28, "filter": "bicubic", "antialias": false } }""");
        var clf = OnnxClassifier.Load(model);
        var big = new global::Dflare.Images.Image(56, 70, 1);
        for (int i = 0; i < big.Length; i++) big.Pixels[i] = (byte)(i * 31 % 251);

        clf.Prepare(big).Should().Be(big.ResizeShortSide(28, global::Dflare.Images.ResizeFilter.Bicubic, antialias: false).CenterCrop(28, 28));
        clf.Prepare(big).Should().NotBe(big.ResizeShortSide(28).CenterCrop(28, 28), "bicubic without antialias is not the default bilinear");
        clf.Info.Effective().Should().Contain(("filter", "bicubic", "sidecar")).And.Contain(("antialias", "false", "sidecar"));
    }

    [Theory]
    [InlineData("16", 16)]
    [InlineData("16/255", 16)]
    [InlineData("0.0627451", 16)]
    [InlineData("8/255", 8)]
    [InlineData("1", 1)]
    [InlineData("0", 0)]
    public void Pixel_amounts_read_grey_levels_and_unit_fractions_alike(string text, int levels)
    {
        var a = global::Dflare.Images.PixelAmount.Parse(text, "--max-linf");
        a.WholeLevels("--max-linf").Should().Be(levels);
        a.Fraction.Should().BeApproximately(levels / 255.0, 1e-6);
        a.ToString().Should().Be(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{levels} grey levels ({levels / 255.0:0.####} in [0,1] units)"));
    }

    [Fact]
    public void Pixel_amounts_that_are_not_whole_levels_or_numbers_are_errors()
    {
        ((Action)(() => global::Dflare.Images.PixelAmount.Parse("0.1", "--max-linf").WholeLevels("--max-linf"))).Should().Throw<DflareException>().WithMessage("--max-linf is 25.5 grey levels*whole number*");
        ((Action)(() => global::Dflare.Images.PixelAmount.Parse("abc", "--epsilon"))).Should().Throw<DflareException>().WithMessage("--epsilon 'abc' is not a number*16/255*");
        ((Action)(() => global::Dflare.Images.PixelAmount.Parse("-3", "--max-linf").WholeLevels("--max-linf"))).Should().Throw<DflareException>().WithMessage("--max-linf is -3 grey levels*from 0 to 255*");
        global::Dflare.Images.PixelAmount.Parse("-0.1", "--epsilon").Fraction.Should().BeApproximately(-0.1, 1e-12, "the range is the caller's to check, so its message can give the value");
    }
}
