using Dflare.Onnx;
using Dflare.Onnx.Proto;

namespace Dflare.Tests;

/// <summary>Small ONNX graphs built in code for tests of bad input.</summary>
public static class TestModels
{
    /// <summary>
    /// Writes <c>no-weights.onnx</c> into <paramref name="directory"/> and returns its path: a valid classifier graph with
    /// no weighted layer, [N,1,28,28] → Flatten → Softmax over 784 "classes".
    /// </summary>
    public static string NoWeightedLayers(string directory)
    {
        static ValueInfoProto Value(string name, params object[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (var d in dims)
                shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
        }
        var proto = new ModelProto { IrVersion = 8, ProducerName = "dflare-tests", Graph = new GraphProto { Name = "no-weights" } };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        proto.Graph.Input.Add(Value("x", "N", 1, 28, 28));
        proto.Graph.Output.Add(Value("y", "N", 784));
        proto.Graph.Node.Add(GraphEditor.Node("Flatten", "flatten", ["x"], ["f"], GraphEditor.IntAttribute("axis", 1)));
        proto.Graph.Node.Add(GraphEditor.Node("Softmax", "softmax", ["f"], ["y"], GraphEditor.IntAttribute("axis", 1)));
        var path = Path.Combine(directory, "no-weights.onnx");
        OnnxModel.FromProto(proto, "no-weights").Save(path);
        return path;
    }
}
