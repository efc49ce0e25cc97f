using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Evaluation;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Tests.Onnx;

namespace Dflare.Tests.Compression;

/// <summary>Every compression method on the two MNIST models, checked on the first 2,000 MNIST test digits.</summary>
public sealed class MnistCompressionTests(ITestOutputHelper output)
{
    private const int Seeds = 2000;
    private static readonly Lazy<IReadOnlyList<Seed>> Digits =
        new(() => SeedSource.Open(SharedData.Require(SharedModels.Mnist)).Load(0, Seeds));

    public static TheoryData<string, string> Cases
    {
        get
        {
            var d = new TheoryData<string, string>();
            foreach (var m in new[] { "cnn-pytorch", "mnist-8" })
                foreach (var method in new[] { "int8", "fp16", "bits:4", "prune:0.8", "int8-static" })
                    d.Add(m, method);
            return d;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_method_gives_a_model_ORT_runs_with_the_expected_accuracy_and_structure(string key, string methodText)
    {
        var e = SharedModels.Get(key);
        var path = SharedData.Require(e.Path);
        var digits = Digits.Value;
        var model = OnnxModel.Load(path);
        var method = CompressionMethod.Parse(methodText);
        var context = new CompressionContext
        {
            Calibration = SeedSource.Open(SharedData.Require(SharedModels.Mnist)), CalibrationLimit = 200, ModelOptions = e.Options,
        };

        var (compressed, outcome) = Compressor.Compress(model, method, context);
        var bytes = compressed.ToBytes();
        var original = OnnxClassifier.Load(path, e.Options);
        using var clf = OnnxClassifier.FromBytes(bytes, $"{key} {methodText}", e.Options);
        var r = Evaluator.Evaluate(original, digits, clf);

        double before = r.Accuracy!.Value * 100, after = r.CompareAccuracy!.Value * 100;
        var ratio = (double)bytes.Length / new FileInfo(path).Length;
        output.WriteLine($"{key} {methodText}: {before:F2} % -> {after:F2} %, {r.Disagreements.Count} disagreements of {r.Seeds}; size x{ratio:F3}; {string.Join("; ", outcome.Notes)}");

        clf.Info.InputName.Should().Be(original.Info.InputName);
        clf.Info.InputShape.Should().Equal(original.Info.InputShape);
        clf.Info.OutputName.Should().Be(original.Info.OutputName);
        clf.Info.Classes.Should().Be(10);
        r.Seeds.Should().Be(Seeds);
        var layersBefore = WeightedLayers.Find(model);
        var layersAfter = WeightedLayers.Find(compressed);
        outcome.Layers.Should().Equal(layersBefore.Select(l => l.Name), "every weighted layer is compressed");
        layersAfter.Select(l => l.Name).Should().Equal(layersBefore.Select(l => l.Name), "layer names survive compression");

        switch (methodText)
        {
            case "int8":
                Math.Abs(after - before).Should().BeLessThanOrEqualTo(0.5);
                layersAfter.Should().OnlyContain(l => l.Storage == WeightStorage.DequantizeLinear && l.WeightType == "INT8" && l.Bits == 8);
                compressed.OpsetVersion().Should().Be(13);
                foreach (var l in layersAfter)
                {
                    var dq = compressed.Producer(l.WeightInput)!;
                    dq.Attribute.Single(a => a.Name == "axis").I.Should().Be(l.OutputChannelAxis);
                    OnnxTensors.ElementCount(compressed.Initializer(dq.Input[1])).Should().Be(l.OutputChannels, "one scale per output channel");
                }
                ratio.Should().BeLessThan(0.40);
                break;
            case "fp16":
                Math.Abs(after - before).Should().BeLessThanOrEqualTo(0.5);
                layersAfter.Should().OnlyContain(l => l.Storage == WeightStorage.Cast && l.WeightType == "FLOAT16");
                ratio.Should().BeInRange(0.45, 0.60, "the weights are most of the file");
                break;
            case "bits:4":
                after.Should().BeLessThan(before);
                r.Disagreements.Count.Should().BeGreaterThanOrEqualTo(5);
                bytes.Length.Should().Be((int)new FileInfo(path).Length, "fake-quantized weights are stored as float");
                foreach (var l in layersAfter)
                {
                    l.WeightType.Should().Be("FLOAT");
                    var w = OnnxTensors.ToFloats(WeightedLayers.StoredWeight(compressed, l));
                    var (stride, channels) = WeightedLayers.ChannelStride(l.WeightShape, l.OutputChannelAxis);
                    var distinct = Enumerable.Range(0, (int)channels)
                        .Select(c => w.Where((_, i) => i / stride % channels == c).Distinct().Count()).Max();
                    distinct.Should().BeLessThanOrEqualTo(15, $"{l.Name} has 4-bit weights: at most 2^4 - 1 levels per channel");
                    distinct.Should().BeGreaterThan(8, "the grid is used, not collapsed");
                }
                break;
            case "prune:0.8":
                (before - after).Should().BeGreaterThan(10);
                r.Disagreements.Count.Should().BeGreaterThan(100);
                foreach (var l in layersAfter)
                    l.ZeroFraction.Should().Be(Math.Round(0.8 * l.WeightCount, MidpointRounding.AwayFromZero) / l.WeightCount, l.Name);
                break;
            case "int8-static":
                Math.Abs(after - before).Should().BeLessThanOrEqualTo(1.0);
                layersAfter.Should().OnlyContain(l => l.Storage == WeightStorage.DequantizeLinear);
                foreach (var l in layersAfter)
                {
                    var dq = compressed.Producer(compressed.Graph.Node[l.NodeIndex].Input[0])!;
                    dq.OpType.Should().Be("DequantizeLinear", $"{l.Name} reads a quantized activation");
                    compressed.Producer(dq.Input[0])!.OpType.Should().Be("QuantizeLinear");
                    if (!compressed.IsGraphOutput(l.OutputTensor))
                        compressed.Consumers(l.OutputTensor).Should().ContainSingle().Which.Node.OpType.Should().Be("QuantizeLinear");
                }
                outcome.Notes.Should().Contain(n => n.Contains("on 200 images"));
                break;
        }
    }

    [Theory]
    [InlineData("cnn-pytorch", 11)]
    [InlineData("mnist-8", 8)]
    public void Raising_the_opset_to_13_leaves_the_outputs_bit_identical(string key, int opset)
    {
        var e = SharedModels.Get(key);
        var path = SharedData.Require(e.Path);
        var model = OnnxModel.Load(path);
        model.OpsetVersion().Should().Be(opset);

        OpsetUpgrade.WhyNot(model, 13).Should().BeNull();
        OpsetUpgrade.Upgrade(model, 13);

        model.OpsetVersion().Should().Be(13);
        model.Proto.IrVersion.Should().BeGreaterThanOrEqualTo(7);
        var images = Digits.Value.Take(500).Select(s => s.Image).ToList();
        var a = OnnxClassifier.Load(path, e.Options).PredictScores(images);
        using var upgraded = OnnxClassifier.FromBytes(model.ToBytes(), "upgraded", e.Options);
        var b = upgraded.PredictScores(images);
        for (int i = 0; i < a.Length; i++) b[i].Should().Equal(a[i]);
    }

    [Fact]
    public void Bits_per_layer_sets_each_layers_bit_width()
    {
        var model = OnnxModel.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"));
        var context = new CompressionContext { BitsPerLayer = CompressionMethod.ParseBitsPerLayer("/conv1/Conv=2,/fc1/Gemm=16") };

        var (compressed, outcome) = Compressor.Compress(model, CompressionMethod.Parse("bits:6"), context);

        int Levels(string layer)
        {
            var l = WeightedLayers.Find(compressed).Single(x => x.Name == layer);
            var w = OnnxTensors.ToFloats(WeightedLayers.StoredWeight(compressed, l));
            var (stride, channels) = WeightedLayers.ChannelStride(l.WeightShape, l.OutputChannelAxis);
            return Enumerable.Range(0, (int)channels).Select(c => w.Where((_, i) => i / stride % channels == c).Distinct().Count()).Max();
        }
        Levels("/conv1/Conv").Should().BeLessThanOrEqualTo(3, "2 bits: -s, 0, s");
        Levels("/conv2/Conv").Should().BeInRange(33, 63, "the default 6 bits");
        Levels("/fc2/Gemm").Should().BeInRange(33, 63);
        Levels("/fc1/Gemm").Should().BeGreaterThan(63, "16 bits");
        outcome.Notes.Should().Contain("/conv1/Conv: 2 bits").And.Contain("/conv2/Conv: 6 bits");
    }
}
