using Dflare.Onnx;

namespace Dflare.Tests.Onnx;

/// <summary>
/// <c>dflare inspect</c>'s report on every shared model. The expected numbers were counted independently of this code,
/// from <c>protoc --decode=onnx.ModelProto</c> text dumps of the files (node op_types, initializer dims).
/// </summary>
public sealed class ModelInspectorTests
{
    public sealed record Expected(string Key, Dictionary<string, int> Layers, long Parameters, int Nodes, string Format, int? Bits);

    private static readonly Expected[] Table =
    [
        new("mnist-8", new() { ["Conv"] = 2, ["MatMul"] = 1 }, 5_960, 12, "float", null),
        new("cnn-pytorch", new() { ["Conv"] = 2, ["Gemm"] = 2 }, 421_642, 11, "float", null),
        new("resnet8", new() { ["Conv"] = 9, ["Gemm"] = 1 }, 98_090, 22, "float", null),
        new("resnet8-int8", new() { ["QLinearConv"] = 9, ["QLinearMatMul"] = 1 }, 98_080, 20, "QOperator", 8),
        new("squeezenet-nhwc", new() { ["Conv"] = 11 }, 73_546, 30, "float", null),
        new("mobilenetv2-12-int8", new() { ["QLinearConv"] = 52, ["QLinearMatMul"] = 1 }, 3_486_816, 73, "QOperator", 8),
    ];

    [Theory]
    [MemberData(nameof(SharedModels.Keys), MemberType = typeof(SharedModels))]
    public void Inspect_lists_the_weighted_layers_of_every_shared_model(string key)
    {
        var e = SharedModels.Get(key);
        var want = Table.Single(t => t.Key == key);

        var r = ModelInspector.Inspect(SharedData.Require(e.Path));

        r.LayerCounts.Should().BeEquivalentTo(want.Layers);
        r.LayerParameters.Should().Be(want.Parameters);
        r.Nodes.Should().Be(want.Nodes);
        r.Operators.Sum(o => o.Count).Should().Be(want.Nodes);
        r.WeightFormat.Should().Be(want.Format);
        r.Layers.Select(l => l.Name).Should().OnlyHaveUniqueItems();
        r.Layers.Should().AllSatisfy(l =>
        {
            l.Bits.Should().Be(want.Bits);
            l.Quantized.Should().Be(want.Bits is not null);
            l.ZeroFraction.Should().NotBeNull();
            l.ZeroFraction!.Value.Should().BeInRange(0, want.Bits is null ? 0 : 0.2, "trained float weights are never exactly zero; int8 ones seldom hit the zero point");
            l.WeightShape.Should().NotBeEmpty();
        });
        r.FileBytes.Should().Be(new FileInfo(SharedData.Require(e.Path)).Length);
    }

    [Fact]
    public void Mnist8_report_reads_the_pre_IR4_graph_right()
    {
        var r = ModelInspector.Inspect(SharedData.Require("models/mnist/mnist-8.onnx"));

        r.IrVersion.Should().Be(3);
        r.Opsets.Should().Equal(new OpsetImport("ai.onnx", 8));
        r.Inputs.Should().ContainSingle("the weights it lists as inputs too are not real inputs")
            .Which.ToString().Should().Be("Input3 FLOAT [1,1,28,28]");
        r.Outputs.Single().ToString().Should().Be("Plus214_Output_0 FLOAT [1,10]");
        r.Operators.Should().Equal(new OperatorCount("Add", 3), new OperatorCount("Conv", 2), new OperatorCount("MaxPool", 2),
            new OperatorCount("Relu", 2), new OperatorCount("Reshape", 2), new OperatorCount("MatMul", 1));
        var matmul = r.Layers.Single(l => l.OpType == "MatMul");
        matmul.Storage.Should().Be(WeightStorage.Reshape, "CNTK reshapes Parameter193 [16,4,4,10] before the MatMul");
        matmul.WeightSource.Should().Be("Parameter193");
        matmul.WeightShape.Should().Equal(256, 10);
        matmul.OutputChannelAxis.Should().Be(1);
        r.Layers.Select(l => l.Name).Should().Equal("Convolution28", "Convolution110", "Times212");
    }

    [Fact]
    public void Resnet8_int8_layers_are_8_bit_QOperator_layers_with_their_output_tensors()
    {
        var r = ModelInspector.Inspect(SharedData.Require("models/cifar10/resnet8-int8.onnx"));

        var first = r.Layers[0];
        first.Name.Should().Be("/input_layer/input_layer.0/Conv_quant");
        first.OpType.Should().Be("QLinearConv");
        first.WeightType.Should().Be("INT8");
        first.Storage.Should().Be(WeightStorage.QuantizedOperator);
        first.OutputTensor.Should().Be("/input_layer/input_layer.0/Conv_output_0_quantized");
        first.WeightShape.Should().Equal(16, 3, 3, 3);
        var fc = r.Layers[^1];
        fc.OpType.Should().Be("QLinearMatMul");
        fc.WeightShape.Should().Equal(64, 10);
        fc.OutputChannelAxis.Should().Be(1);
        r.Inputs.Single().ToString().Should().Be("input.1 FLOAT [16,3,32,32]");
        r.Operators.Should().Contain(new OperatorCount("com.microsoft:QLinearAdd", 4));
    }

    [Fact]
    public void Unnamed_layers_get_op_and_index_names_and_repeated_names_a_suffix()
    {
        var model = OnnxModel.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"));
        foreach (var n in model.Graph.Node) n.ClearName();

        WeightedLayers.Find(model).Select(l => l.Name).Should().Equal("Conv_0", "Conv_1", "Gemm_0", "Gemm_1");

        foreach (var n in model.Graph.Node) n.Name = "same";
        WeightedLayers.Find(model).Select(l => l.Name).Should().Equal("same", "same#2", "same#3", "same#4");
    }
}
