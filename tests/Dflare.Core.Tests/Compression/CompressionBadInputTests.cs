using System.Buffers.Binary;
using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Onnx;
using Dflare.Onnx.Proto;
using Dflare.Tests.Onnx;
using Google.Protobuf;

namespace Dflare.Tests.Compression;

/// <summary>Bad input gives a clear error and never touches the output file.</summary>
public sealed class CompressionBadInputTests : IDisposable
{
    private static readonly byte[] Sentinel = "previous OUT content"u8.ToArray();
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string ExistingOut()
    {
        var p = Path.Combine(_dir, "out.onnx");
        File.WriteAllBytes(p, Sentinel);
        return p;
    }

    private void OutUntouched(string outPath)
    {
        File.ReadAllBytes(outPath).Should().Equal(Sentinel, "a failed compression leaves OUT as it was");
        Directory.GetFiles(_dir).Should().NotContain(f => f.EndsWith(".tmp", StringComparison.Ordinal), "no temporary file is left behind");
    }

    [Theory]
    [InlineData("int4", "Unknown compression method 'int4'; the methods are: int8, int8-static, bits:K (K = 2..16), fp16, prune:F (0 < F < 1).")]
    [InlineData("", "Unknown compression method ''*")]
    [InlineData("bits:1", "*K = 1 is outside 2..16*")]
    [InlineData("bits:17", "*K = 17 is outside 2..16*")]
    [InlineData("bits:four", "Method 'bits:four': bits:K needs an integer K from 2 to 16*")]
    [InlineData("bits", "Method 'bits': bits:K needs an integer K*")]
    [InlineData("prune:0", "Method 'prune:0': the pruned fraction F must be greater than 0 and less than 1 (got 0).")]
    [InlineData("prune:1", "*must be greater than 0 and less than 1 (got 1)*")]
    [InlineData("prune:1.5", "*(got 1.5)*")]
    [InlineData("prune:-0.2", "*(got -0.2)*")]
    [InlineData("prune:most", "Method 'prune:most': prune:F needs a fraction F with 0 < F < 1*")]
    [InlineData("int8:2", "Unknown compression method 'int8:2'*")]
    public void Bad_method_texts_are_clear_errors(string text, string message)
    {
        ((Action)(() => CompressionMethod.Parse(text))).Should().Throw<DflareException>().WithMessage(message);
    }

    [Theory]
    [InlineData("int8", "int8")]
    [InlineData(" INT8-Static ", "int8-static")]
    [InlineData("bits:2", "bits:2")]
    [InlineData("Bits:16", "bits:16")]
    [InlineData("float16", "fp16")]
    [InlineData("prune:0.8", "prune:0.8")]
    public void Good_method_texts_parse(string text, string name) => CompressionMethod.Parse(text).Name.Should().Be(name);

    [Theory]
    [InlineData("conv=4,", null)]
    [InlineData("conv", "*'conv' is not name=K*")]
    [InlineData("conv=x", "*'conv=x' is not name=K*")]
    [InlineData("conv=1", "*K = 1 is outside 2..16*")]
    [InlineData("a=4,a=8", "*names layer 'a' twice*")]
    [InlineData(",", "BitsPerLayer is empty*")]
    public void Bits_per_layer_lists_are_checked(string text, string? message)
    {
        var act = () => CompressionMethod.ParseBitsPerLayer(text);
        if (message is null) act().Should().Equal(new Dictionary<string, int> { ["conv"] = 4 });
        else act.Should().Throw<DflareException>().WithMessage(message);
    }

    [Fact]
    public void A_weighted_layer_with_a_DOUBLE_weight_is_refused_naming_the_layer_and_the_type()
    {
        var model = OnnxModel.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"));
        var w = model.Initializer("conv2.weight");
        var values = OnnxTensors.ToFloats(w);
        var raw = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(raw.AsSpan(i * 8), values[i]);
        w.DataType = (int)TensorProto.Types.DataType.Double;
        w.RawData = ByteString.CopyFrom(raw);
        var input = Path.Combine(_dir, "double.onnx");
        File.WriteAllBytes(input, model.ToBytes());
        var outPath = ExistingOut();

        foreach (var method in new[] { "int8", "fp16", "bits:4", "prune:0.5" })
        {
            var act = () => Compressor.Compress(input, outPath, CompressionMethod.Parse(method));
            act.Should().Throw<DflareException>()
                .WithMessage($"Model '{input}': layer '/conv2/Conv' (Conv) has a DOUBLE weight 'conv2.weight'; {method} compresses FLOAT weights only.");
            OutUntouched(outPath);
        }
        ModelInspector.Inspect(input).Layers[1].WeightType.Should().Be("DOUBLE", "inspect still reports such a model");
    }

    [Fact]
    public void Calibration_images_that_do_not_fit_the_model_are_a_clear_error()
    {
        var outPath = ExistingOut();
        var resnet = SharedModels.Get("resnet8");
        var mnist = SeedSource.Open(SharedData.Require(SharedModels.Mnist));

        var act = () => Compressor.Compress(SharedData.Require(resnet.Path), outPath, new Int8Static(),
            new CompressionContext { Calibration = mnist, CalibrationLimit = 20, ModelOptions = resnet.Options });

        act.Should().Throw<DflareException>()
            .WithMessage($"Calibration images from '{mnist.Path}' do not fit model '*resnet8.onnx': Image of 28x28 does not fit*32x32*");
        OutUntouched(outPath);

        var cnn = SharedModels.Get("cnn-pytorch");
        var folder = SeedSource.Open(SharedData.Require(SharedModels.ImageNet));
        var act2 = () => Compressor.Compress(SharedData.Require(cnn.Path), outPath, new Int8Static(),
            new CompressionContext { Calibration = folder, CalibrationLimit = 5, ModelOptions = cnn.Options });
        act2.Should().Throw<DflareException>().WithMessage($"Calibration images from '{folder.Path}' do not fit model '*cnn-pytorch.onnx': Image of *does not fit*28x28*");
        OutUntouched(outPath);
    }

    [Fact]
    public void Other_bad_inputs_are_clear_errors_and_leave_OUT_alone()
    {
        var outPath = ExistingOut();
        var cnn = SharedData.Require("models/mnist/cnn-pytorch.onnx");
        var int8 = SharedData.Require("models/cifar10/resnet8-int8.onnx");

        ((Action)(() => Compressor.Compress(cnn, outPath, new Int8Static()))).Should().Throw<DflareException>()
            .WithMessage("Method int8-static needs calibration images: set Calibration (and CalibrationLimit).");
        ((Action)(() => Compressor.Compress(int8, outPath, new Int8WeightOnly()))).Should().Throw<DflareException>()
            .WithMessage($"Model '{int8}' has no float weighted layers to compress: its 10 weighted layers are already compressed (INT8 via QuantizedOperator).");
        ((Action)(() => Compressor.Compress(cnn, outPath, new FakeQuantBits(4),
                new CompressionContext { BitsPerLayer = new Dictionary<string, int> { ["conv9"] = 4 } })))
            .Should().Throw<DflareException>()
            .WithMessage("BitsPerLayer names 'conv9', which is not a float weighted layer of model '*'; its layers are: /conv1/Conv, /conv2/Conv, /fc1/Gemm, /fc2/Gemm.");
        var missing = Path.Combine(_dir, "missing.onnx");
        ((Action)(() => Compressor.Compress(missing, outPath, new Float16Weights()))).Should().Throw<DflareException>()
            .WithMessage($"Model file '{missing}' does not exist.");
        ((Action)(() => Compressor.Compress(cnn, _dir, new Float16Weights()))).Should().Throw<DflareException>()
            .WithMessage("Output '*' is a folder*");
        OutUntouched(outPath);
    }

    [Fact]
    public void A_successful_compression_replaces_OUT_whole_and_copies_the_sidecar()
    {
        var input = Path.Combine(_dir, "cnn.onnx");
        File.Copy(SharedData.Require("models/mnist/cnn-pytorch.onnx"), input);
        File.WriteAllText(input + ".json", """{ "mean": [0.5], "std": [0.5] }""");
        var outPath = ExistingOut();

        var r = Compressor.Compress(input, outPath, new Float16Weights());

        File.ReadAllBytes(outPath).Length.Should().Be((int)r.BytesAfter);
        OnnxModel.Load(outPath).Graph.Node.Count(n => n.OpType == "Cast").Should().Be(8, "4 weights and 4 biases");
        r.Sidecar.Should().Be(outPath + ".json");
        File.ReadAllText(outPath + ".json").Should().Contain("\"mean\": [0.5]");
        Directory.GetFiles(_dir).Should().NotContain(f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }
}
