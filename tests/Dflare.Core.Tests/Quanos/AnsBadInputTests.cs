using Dflare.Models;
using Dflare.Onnx;
using Dflare.Onnx.Proto;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Sensitivity;

namespace Dflare.Tests.Quanos;

/// <summary>Bad budgets, settings, models and seeds give clear errors from the QUANOS ANS half.</summary>
public sealed class AnsBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-ans-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.05)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void An_epsilon_outside_0_1_is_rejected_before_the_model_is_read(double epsilon)
    {
        var act = () => QuanosAnalysis.Run(Path.Combine(_dir, "missing.onnx"), null, [], new QuanosOptions { Epsilon = epsilon });
        act.Should().Throw<DflareException>().WithMessage("epsilon must be in (0, 1) in [0,1] pixel units*got *");
    }

    [Fact]
    public void Other_bad_settings_are_rejected()
    {
        var missing = Path.Combine(_dir, "missing.onnx");
        ((Action)(() => QuanosAnalysis.Run(missing, null, [], new QuanosOptions { KInit = 17 }))).Should().Throw<DflareException>().WithMessage("k_init*got 17*");
        ((Action)(() => QuanosAnalysis.Run(missing, null, [], new QuanosOptions { Tolerance = 1 }))).Should().Throw<DflareException>().WithMessage("*tolerance*[0, 1)*");
        ((Action)(() => QuanosAnalysis.Run(missing, null, [], new QuanosOptions { FragileMargin = 0.6 }))).Should().Throw<DflareException>().WithMessage("*fragility margin*");
        ((Action)(() => QuanosAnalysis.Run(missing, null, [], new QuanosOptions { Grid = 0 }))).Should().Throw<DflareException>().WithMessage("*grid*");
        ((Action)(() => QuanosAnalysis.Run(missing, null, [], new QuanosOptions()))).Should().Throw<DflareException>().WithMessage($"Model file '{missing}' does not exist.");
        ((Action)(() => _ = new AnsAnalyzer(batch: 0))).Should().Throw<DflareException>().WithMessage("*batch*");
    }

    [Fact]
    public void A_model_without_weighted_layers_is_a_clear_error_naming_it()
    {
        var path = TestModels.NoWeightedLayers(_dir);
        using (var clf = OnnxClassifier.Load(path)) clf.Classes.Should().Be(784, "the model itself is a valid classifier ORT runs");

        var data = QuanosData.Mnist(2); // skips, naming the missing file, without the shared data
        var act = () => QuanosAnalysis.Run(path, null, data, new QuanosOptions { Gradient = new SpsaGradient(2) });

        act.Should().Throw<DflareException>().WithMessage($"Model '{path}' has no weighted layers (Conv, Gemm or MatMul*nothing to measure.");
        ((Action)(() => HybridPrecision.WhyNot(OnnxModel.Load(path)))).Should().Throw<DflareException>().WithMessage("*no weighted layers*");
    }

    [Fact]
    public void Seeds_of_the_wrong_size_or_no_seeds_are_clear_errors()
    {
        var resnet = SharedData.Require("models/cifar10/resnet8.onnx");
        var options = new QuanosOptions { Gradient = new SpsaGradient(2) };

        var wrong = () => QuanosAnalysis.Run(resnet, null, QuanosData.Mnist(2), options);
        wrong.Should().Throw<DflareException>().WithMessage("Seed '0': Image of 28x28 does not fit model*resnet8.onnx*32x32*");

        var none = () => QuanosAnalysis.Run(resnet, null, [], options);
        none.Should().Throw<DflareException>().WithMessage("No seeds to analyse model*resnet8.onnx*");

        var model = OnnxModel.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"));
        var analyzer = new AnsAnalyzer();
        ((Action)(() => analyzer.Analyze(model, null, [new float[784]], []))).Should().Throw<DflareException>().WithMessage("*one adversarial image per clean image*1 clean and 0*");
        ((Action)(() => analyzer.Analyze(model, null, [new float[100]], [new float[100]]))).Should().Throw<DflareException>().WithMessage("Image 0 has 100 values but model*takes 28x28x1 = 784*");
        ((Action)(() => analyzer.Analyze(model, null, [], []))).Should().Throw<DflareException>().WithMessage("No seeds*");
    }

    [Fact]
    public void Bits_for_unknown_or_missing_layers_are_rejected_when_building_a_hybrid()
    {
        var model = OnnxModel.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"));
        ((Action)(() => HybridPrecision.Build(model, new Dictionary<string, int> { ["/conv1/Conv"] = 4 })))
            .Should().Throw<DflareException>().WithMessage("*no bit width given for layer(s) /conv2/Conv, /fc1/Gemm, /fc2/Gemm*");
        ((Action)(() => HybridPrecision.Partial(model, new Dictionary<string, int> { ["nope"] = 4 })))
            .Should().Throw<DflareException>().WithMessage("'nope' is not a float weighted layer*");
        ((Action)(() => HybridPrecision.Partial(model, new Dictionary<string, int> { ["/fc1/Gemm"] = 1 })))
            .Should().Throw<DflareException>().WithMessage("*outside 2..16*");
    }
}
