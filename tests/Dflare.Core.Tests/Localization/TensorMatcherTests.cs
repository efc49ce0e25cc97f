using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Localization;
using Dflare.Onnx;
using Dflare.Tests.Onnx;

namespace Dflare.Tests.Localization;

public sealed class TensorMatcherTests(ITestOutputHelper output)
{
    private static OnnxModel Cnn() => OnnxModel.Load(SharedData.Require(SharedModels.Get("cnn-pytorch").Path));

    internal static OnnxModel Compress(OnnxModel model, string method)
    {
        var context = new CompressionContext
        {
            Calibration = SeedSource.Open(SharedData.Require(SharedModels.Mnist)), CalibrationLimit = 50,
            ModelOptions = SharedModels.CnnPytorch,
        };
        return Compressor.Compress(model, CompressionMethod.Parse(method), method == "int8-static" ? context : null).Model;
    }

    [Fact]
    public void The_real_QOperator_pair_matches_every_layer_and_residual_add_dequantizing_and_seeing_fused_relus()
    {
        var original = OnnxModel.Load(SharedData.Require("models/cifar10/resnet8.onnx"));
        var compressed = OnnxModel.Load(SharedData.Require("models/cifar10/resnet8-int8.onnx"));

        var m = TensorMatcher.Match(original, compressed);
        foreach (var t in m.Matched) output.WriteLine($"{t.Name}: {t.OriginalTensor} <- {t.CompressedOpType} {t.CompressedTensor} {t.Form} fused={t.ActivationFused}");

        m.UnmatchedOriginal.Should().BeEmpty();
        m.UnmatchedCompressed.Should().BeEmpty();
        m.Matched.Should().HaveCount(13, "9 Conv, the Gemm and 3 residual Adds");
        m.Matched.Should().OnlyContain(t => t.Form == MatchForm.QOperator && t.PairedBy == "name");
        m.Matched.Count(t => t.OpType == "Add").Should().Be(3);
        var first = m.Matched[0];
        first.CompressedOpType.Should().Be("QLinearConv");
        first.ActivationFused.Should().BeTrue("INC fused the Relu into the QLinearConv");
        first.OriginalTensor.Should().Be("/input_layer/input_layer.2/Relu_output_0");
        m.Matched.Single(t => t.Name == "/features/features.0/convbn/convbn.0/Conv").ActivationFused.Should().BeFalse("a residual Add follows it, not a Relu");
        var head = m.Matched[^1];
        (head.OpType, head.CompressedOpType, head.OriginalTensor, head.CompressedTensor).Should()
            .Be(("Gemm", "QLinearMatMul", "76", "76_quantized"), "the Gemm became QLinearMatMul + a bias QLinearAdd carrying its name");
    }

    [Theory]
    [InlineData("int8-static", MatchForm.Qdq)]
    [InlineData("int8", MatchForm.Float)]
    [InlineData("bits:4", MatchForm.Float)]
    [InlineData("prune:0.5", MatchForm.Float)]
    [InlineData("fp16", MatchForm.Float)]
    public void The_projects_own_compressions_match_every_layer_by_name(string method, MatchForm form)
    {
        var original = Cnn();
        var m = TensorMatcher.Match(original, Compress(original, method));

        m.Matched.Select(t => t.Name).Should().Equal("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        m.Matched.Should().OnlyContain(t => t.PairedBy == "name" && !t.ActivationFused);
        m.UnmatchedOriginal.Should().BeEmpty();
        m.Matched.Take(3).Should().OnlyContain(t => t.Form == form);
        m.Matched[3].Form.Should().Be(MatchForm.Float, "the graph output is not quantized");
        if (form == MatchForm.Qdq)
            m.Matched.Take(3).Should().OnlyContain(t => t.CompressedTensor == t.OriginalTensor + "_dequantized", "the layer output after its Q/DQ pair");
        else m.Matched.Should().OnlyContain(t => t.CompressedTensor == t.OriginalTensor);
    }

    [Fact]
    public void Layers_with_other_names_are_paired_by_order_and_weight_size_and_a_foreign_model_is_refused()
    {
        var original = Cnn();
        var renamed = Compress(original, "prune:0.5");
        foreach (var n in renamed.Graph.Node) n.Name = "x" + n.Name;
        foreach (var n in renamed.Graph.Node) for (int i = 0; i < n.Output.Count; i++) if (!renamed.IsGraphOutput(n.Output[i])) n.Output[i] = "x" + n.Output[i];
        foreach (var n in renamed.Graph.Node) for (int i = 0; i < n.Input.Count; i++) if (renamed.Producer("x" + n.Input[i]) is not null) n.Input[i] = "x" + n.Input[i];

        var m = TensorMatcher.Match(original, renamed);
        m.Matched.Select(t => t.PairedBy).Should().Equal(["order", "order", "order", "name"], "the graph output keeps its name");
        m.Matched[0].CompressedTensor.Should().Be("x/conv1/Conv_output_0");

        var foreign = OnnxModel.Load(SharedData.Require("models/cifar10/resnet8.onnx"));
        var act = () => TensorMatcher.Match(original, foreign);
        act.Should().Throw<DflareException>().WithMessage("*No layer of*matches*do not look like an original and its compression*");
    }

    [Fact]
    public void Sqnr_is_20_log10_of_signal_over_error_and_equal_tensors_give_the_cap()
    {
        var (sqnr, rel) = Localizer.Compare([3f, 4f], [3f, 4.5f]);
        sqnr.Should().BeApproximately(20, 1e-9); // ‖a‖ = 5, ‖a−b‖ = 0.5
        rel.Should().BeApproximately(0.1, 1e-9);
        Localizer.Compare([1f, 2f], [1f, 2f]).Should().Be((Localizer.MaxSqnr, 0));
    }
}
