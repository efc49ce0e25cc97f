using Dflare.Datasets;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Onnx.Proto;

namespace Dflare.Tests.Models;

public sealed class OutputShapeTests
{
    /// <summary>
    /// mnist-8 with a Squeeze after its [1,10] output: the output has no batch axis ([10] for batch 1), as some exporters
    /// write it. The classifier reads it as one row of 10 classes and predicts exactly as the original.
    /// </summary>
    [Fact]
    public void An_output_without_a_batch_axis_is_read_as_one_row_per_image()
    {
        var path = SharedData.Require("models/mnist/mnist-8.onnx");
        var model = OnnxModel.Load(path);
        var oldOutput = model.Graph.Output[0];
        var squeeze = GraphEditor.Node("Squeeze", "drop_batch_axis", [oldOutput.Name], ["scores"],
            new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0 } });
        model.Graph.Node.Add(squeeze);
        var output = oldOutput.Clone();
        output.Name = "scores";
        output.Type.TensorType.Shape.Dim.Clear();
        output.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 10 });
        model.Graph.Output.Clear();
        model.Graph.Output.Add(output);

        using var flat = OnnxClassifier.FromBytes(model.ToBytes(), "mnist-8-without-batch-axis");
        var original = OnnxClassifier.Load(path);
        var images = SeedSource.Open(SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz")).Load(0, 20).Select(s => s.Image).ToArray();

        flat.Info.OutputName.Should().Be("scores");
        flat.Info.Classes.Should().Be(10);
        var a = flat.Predict(images);
        var b = original.Predict(images);
        for (int i = 0; i < images.Length; i++) a[i].Should().Equal(b[i]);
    }
}
