using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Evaluation;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Dflare.Tests.Compression;

public sealed class Int8StaticTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-int8s-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Resnet8_calibrated_on_200_cifar_images_stays_within_2_points_on_932_and_ORT_runs_it_with_integer_kernels()
    {
        var e = SharedModels.Get("resnet8");
        var path = SharedData.Require(e.Path);
        var cifar = SeedSource.Open(SharedData.Require(SharedModels.Cifar));
        var outPath = Path.Combine(_dir, "resnet8-int8-static.onnx");

        var result = Compressor.Compress(path, outPath, new Int8Static(),
            new CompressionContext { Calibration = cifar, CalibrationLimit = 200, ModelOptions = e.Options });

        var original = OnnxClassifier.Load(path, e.Options);
        var compressed = OnnxClassifier.Load(outPath, e.Options);
        var r = Evaluator.Evaluate(original, cifar.Enumerate(), compressed);
        output.WriteLine($"resnet8 int8-static: {r.Accuracy:P2} -> {r.CompareAccuracy:P2}, {r.Disagreements.Count} disagreements of {r.Seeds}; " +
            $"{result.BytesBefore} -> {result.BytesAfter} bytes; {string.Join("; ", result.Notes)}");

        r.Seeds.Should().Be(932);
        r.Accuracy.Should().BeApproximately(0.8755, 0.00006);
        Math.Abs(r.CompareAccuracy!.Value - r.Accuracy!.Value).Should().BeLessThanOrEqualTo(0.02);
        compressed.Info.FixedBatch.Should().Be(16);
        result.Notes.Should().Contain(n => n.Contains("on 200 images"));
        result.BytesAfter.Should().BeLessThan(result.BytesBefore / 2);
        ModelInspector.Inspect(outPath).LayerCounts.Should().BeEquivalentTo(new Dictionary<string, int> { ["Conv"] = 9, ["Gemm"] = 1 });

        // ONNX Runtime's QDQ fusion turns the DequantizeLinear → Conv → QuantizeLinear groups into integer kernels.
        var optimized = Path.Combine(_dir, "optimized.onnx");
        using (var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimized })
        using (new InferenceSession(outPath, so)) { }
        var ops = OnnxModel.Load(optimized).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("after ORT optimization: " + string.Join(", ", ops.Select(kv => $"{kv.Key} {kv.Value}")));
        ops.GetValueOrDefault("QLinearConv").Should().Be(9, "every Conv runs as an int8 QLinearConv");
        ops.Should().NotContainKey("Conv");
    }
}
