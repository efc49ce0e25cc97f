using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Evaluation;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Tests.Onnx;

namespace Dflare.Tests.Compression;

public sealed class OpsetFallbackTests
{
    [Fact]
    public void Squeezenet_at_opset_9_with_Squeeze_gets_per_tensor_int8_weights_at_opset_10()
    {
        var e = SharedModels.Get("squeezenet-nhwc");
        var path = SharedData.Require(e.Path);
        var model = OnnxModel.Load(path);

        OpsetUpgrade.WhyNot(model, 13).Should().Be("operator Squeeze changes its signature or meaning at opset 13");
        OpsetUpgrade.WhyNot(model, 10).Should().BeNull();
        var (compressed, outcome) = Compressor.Compress(model, new Int8WeightOnly());

        outcome.Notes.Should().ContainSingle().Which.Should().StartWith("per-tensor weight scales: opset 9 cannot be raised to 13");
        compressed.OpsetVersion().Should().Be(10);
        var dqs = compressed.Graph.Node.Where(n => n.OpType == "DequantizeLinear").ToList();
        dqs.Should().HaveCount(11).And.OnlyContain(n => n.Attribute.Count == 0, "no axis attribute before opset 13");
        dqs.Should().OnlyContain(n => OnnxTensors.ElementCount(compressed.Initializer(n.Input[1])) == 1);
        var cifar = SeedSource.Open(SharedData.Require(SharedModels.Cifar));
        using var clf = OnnxClassifier.FromBytes(compressed.ToBytes(), "squeezenet int8", e.Options);
        var r = Evaluator.Evaluate(OnnxClassifier.Load(path, e.Options), cifar.Enumerate(), clf);
        Math.Abs(r.CompareAccuracy!.Value - r.Accuracy!.Value).Should().BeLessThanOrEqualTo(0.015);
        r.Disagreements.Count.Should().BeGreaterThan(0).And.BeLessThan(50);
    }
}
