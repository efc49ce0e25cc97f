using Dflare.Onnx;
using Dflare.Onnx.Proto;
using Google.Protobuf;

namespace Dflare.Tests.Onnx;

public sealed class OnnxModelErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_model_with_external_data_is_refused_naming_the_tensor_and_the_data_file()
    {
        var model = OnnxModel.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"));
        var w = model.Initializer("fc1.weight");
        w.ClearRawData();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "cnn.onnx.data" });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "0" });
        var path = Path.Combine(_dir, "external.onnx");
        File.WriteAllBytes(path, model.ToBytes());

        var act = () => OnnxModel.Load(path);

        act.Should().Throw<DflareException>()
            .WithMessage($"*'{path}'*tensor 'fc1.weight'*external data file 'cnn.onnx.data'*not supported*");
    }

    [Fact]
    public void Files_that_are_not_ONNX_models_give_clear_errors()
    {
        var missing = Path.Combine(_dir, "missing.onnx");
        ((Action)(() => OnnxModel.Load(missing))).Should().Throw<DflareException>().WithMessage($"*'{missing}' does not exist*");

        var empty = Path.Combine(_dir, "empty.onnx");
        File.WriteAllBytes(empty, []);
        ((Action)(() => OnnxModel.Load(empty))).Should().Throw<DflareException>().WithMessage("*is empty*");

        var text = Path.Combine(_dir, "text.onnx");
        File.WriteAllText(text, "this is not a protobuf message at all, just text\n");
        ((Action)(() => OnnxModel.Load(text))).Should().Throw<DflareException>().WithMessage($"*'{text}'*not*ONNX model*");
    }

    [Fact]
    public void A_truncated_model_file_is_a_clear_error()
    {
        var bytes = File.ReadAllBytes(SharedData.Require("models/mnist/mnist-8.onnx"));
        var truncated = Path.Combine(_dir, "truncated.onnx");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        ((Action)(() => OnnxModel.Load(truncated))).Should().Throw<DflareException>().WithMessage($"*'{truncated}'*not*ONNX model*");
    }
}
