using Dflare.Models;
using Dflare.Onnx;

namespace Dflare.Tests.Onnx;

public sealed class LayerExposerTests(ITestOutputHelper output)
{
    public static TheoryData<string, string[]> FloatModels => new()
    {
        { "cnn-pytorch", ["/conv1/Conv_output_0=32x28x28", "/relu/Relu_output_0=32x28x28", "/conv2/Conv_output_0=64x14x14",
            "/relu_1/Relu_output_0=64x14x14", "/fc1/Gemm_output_0=128", "/relu_2/Relu_output_0=128", "output=10"] },
        { "mnist-8", ["Convolution28_Output_0=8x28x28", "ReLU32_Output_0=8x28x28", "Convolution110_Output_0=16x14x14",
            "ReLU114_Output_0=16x14x14", "Times212_Output_0=10"] },
    };

    [Theory]
    [MemberData(nameof(FloatModels))]
    public void Exposed_float_models_keep_their_outputs_and_give_every_layer_and_activation_with_its_shape(string key, string[] expected)
    {
        var e = SharedModels.Get(key);
        var path = SharedData.Require(e.Path);
        var model = OnnxModel.Load(path);
        var images = SharedModels.Images(e, 8);

        using var reader = ActivationReader.Create(model, e.Options);
        var acts = reader.Read(images);

        reader.Tensors.Select(t => $"{t.Name}").Should().Equal(expected.Select(x => x.Split('=')[0]), "default: every weighted layer's and activation's output, in graph order");
        foreach (var x in expected)
        {
            var (name, shape) = (x.Split('=')[0], x.Split('=')[1].Split('x').Select(int.Parse).ToArray());
            acts[name].Shape.Should().Equal(shape, name);
            acts[name].Rows.Should().HaveCount(8).And.AllSatisfy(r => r.Should().HaveCount(shape.Aggregate(1, (a, b) => a * b)));
        }
        var original = OnnxClassifier.Load(path, e.Options).PredictScores(images);
        var exposedFinal = reader.Classifier.PredictScores(images);
        for (int i = 0; i < images.Count; i++) exposedFinal[i].Should().Equal(original[i], "the final output is unchanged");
        // A ReLU output is the max(0, ·) of what feeds it.
        var relu = reader.Tensors.First(t => t.Producer == "Relu").Name;
        acts[relu].Rows.SelectMany(r => r).Should().OnlyContain(v => v >= 0);
    }

    [Fact]
    public void Resnet8_with_fixed_batch_16_reads_20_images_in_two_padded_runs_with_identical_logits()
    {
        var e = SharedModels.Get("resnet8");
        var path = SharedData.Require(e.Path);
        var model = OnnxModel.Load(path);
        var images = SharedModels.Images(e, 20);
        var layers = WeightedLayers.Find(model);

        using var reader = ActivationReader.Create(model, e.Options, layers.Select(l => l.OutputTensor));
        var acts = reader.Read(images);

        reader.Classifier.Runs.Should().Be(2);
        acts["76"].Rows.Should().HaveCount(20);
        var logits = OnnxClassifier.Load(path, e.Options).PredictScores(images);
        // Materializing the conv outputs stops ORT from fusing Conv+Add+Relu, which changes float rounding in the
        // last bits (cnn-pytorch and mnist-8 stay bit-identical); the logits agree to 1e-4 and the labels exactly.
        for (int i = 0; i < 20; i++)
        {
            acts["76"].Rows[i].Should().Equal(logits[i], (a, b) => Math.Abs(a - b) <= 1e-4f);
            Labels.ArgMax(acts["76"].Rows[i]).Should().Be(Labels.ArgMax(logits[i]));
        }
        acts[layers[0].OutputTensor].Shape.Should().Equal(16, 32, 32);
        acts[layers[5].OutputTensor].Shape.Should().Equal(32, 16, 16);
        acts[layers[8].OutputTensor].Shape.Should().Equal(64, 8, 8);
        reader.Tensors.Should().HaveCount(10).And.OnlyContain(t => t.ElementType == "FLOAT");
        reader.Tensors[^1].WasOutput.Should().BeTrue();
    }

    [Fact]
    public void QOperator_resnet8_int8_exposes_uint8_layer_outputs_whose_float_view_matches_the_float_model()
    {
        var e = SharedModels.Get("resnet8-int8");
        var q = OnnxModel.Load(SharedData.Require(e.Path));
        var f = OnnxModel.Load(SharedData.Require("models/cifar10/resnet8.onnx"));
        var images = SharedModels.Images(e, 16);

        using var qr = ActivationReader.Create(q, e.Options);
        var plan = qr.Tensors;
        plan.Should().HaveCount(10, "the 9 QLinearConv and the QLinearMatMul; the ReLUs are fused");
        plan.Take(9).Should().OnlyContain(t => t.ElementType == "UINT8" && t.CanDequantize);
        var raw = qr.Read(images, dequantize: false);
        raw[plan[0].Name].ElementType.Should().Be("UInt8");
        raw[plan[0].Name].Rows.SelectMany(r => r).Should().OnlyContain(v => v >= 0 && v <= 255 && v == MathF.Round(v));
        var deq = qr.Read(images);

        // The first QLinearConv (with its ReLU fused) against the float model's first ReLU output.
        using var fr = ActivationReader.Create(f, e.Options, ["/input_layer/input_layer.2/Relu_output_0"]);
        var reference = fr.Read(images)["/input_layer/input_layer.2/Relu_output_0"];
        var mine = deq[plan[0].Name];
        mine.Shape.Should().Equal(reference.Shape);
        double err = 0, norm = 0;
        for (int i = 0; i < images.Count; i++)
            for (int j = 0; j < mine.Rows[i].Length; j++)
            {
                err += Math.Pow(mine.Rows[i][j] - reference.Rows[i][j], 2);
                norm += Math.Pow(reference.Rows[i][j], 2);
            }
        var rel = Math.Sqrt(err / norm);
        output.WriteLine($"relative error of the int8 float view: {rel:F4}; scale {plan[0].Scale}, zero point {plan[0].ZeroPoint}");
        rel.Should().BeLessThan(0.03, "8-bit activations are within a few percent of the float ones");
    }

    [Fact]
    public void QOperator_mobilenetv2_int8_exposes_its_53_layers_in_one_run_and_keeps_its_logits()
    {
        var e = SharedModels.Get("mobilenetv2-12-int8");
        var path = SharedData.Require(e.Path);
        var images = SharedModels.Images(e, 2);

        using var reader = ActivationReader.Create(OnnxModel.Load(path), e.Options);
        var acts = reader.Read(images);

        reader.Tensors.Should().HaveCount(53);
        reader.Tensors.Should().OnlyContain(t => t.Layer != null && t.ElementType == "UINT8" && t.CanDequantize);
        reader.Classifier.Runs.Should().Be(1);
        acts[reader.Tensors[0].Name].Shape.Should().Equal(32, 112, 112);
        acts[reader.Tensors[^1].Name].Shape.Should().Equal(1000);
        var logits = OnnxClassifier.Load(path, e.Options).PredictScores(images);
        var exposed = reader.Classifier.PredictScores(images);
        for (int i = 0; i < images.Count; i++) exposed[i].Should().Equal(logits[i]);
    }

    [Fact]
    public void QDQ_models_made_by_int8_static_expose_the_same_float_layers_as_their_original()
    {
        var e = SharedModels.Get("cnn-pytorch");
        var model = OnnxModel.Load(SharedData.Require(e.Path));
        var (qdq, _) = Dflare.Compression.Compressor.Compress(model, new Dflare.Compression.Int8Static(), new Dflare.Compression.CompressionContext
        {
            Calibration = Dflare.Datasets.SeedSource.Open(SharedData.Require(SharedModels.Mnist)), CalibrationLimit = 100, ModelOptions = e.Options,
        });
        var images = SharedModels.Images(e, 4);

        using var fr = ActivationReader.Create(model, e.Options);
        using var qr = ActivationReader.Create(qdq, e.Options);
        var fa = fr.Read(images);
        var qa = qr.Read(images);

        qr.Tensors.Select(t => t.Layer).Where(l => l != null).Should().Equal(fr.Tensors.Select(t => t.Layer).Where(l => l != null));
        qr.Tensors.Should().OnlyContain(t => t.ElementType == "FLOAT", "QDQ models compute in float between the Q/DQ pairs");
        foreach (var t in fr.Tensors.Where(t => t.Layer != null))
        {
            qa[t.Name].Shape.Should().Equal(fa[t.Name].Shape);
            var diff = qa[t.Name].Rows.Zip(fa[t.Name].Rows).Max(p => p.First.Zip(p.Second).Max(v => Math.Abs(v.First - v.Second)));
            var range = fa[t.Name].Rows.Max(r => r.Max(Math.Abs));
            diff.Should().BeLessThan(0.1f * range, $"{t.Name}: int8 activations are close to the float ones");
            diff.Should().BeGreaterThan(0, $"{t.Name}: but not identical, since they are quantized");
        }
    }

    [Fact]
    public void Asking_for_a_tensor_that_is_not_an_activation_is_a_clear_error()
    {
        var model = OnnxModel.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"));

        ((Action)(() => LayerExposer.Expose(model, ["no/such/tensor"]))).Should().Throw<DflareException>()
            .WithMessage("*cnn-pytorch.onnx' has no tensor 'no/such/tensor'*");
        ((Action)(() => LayerExposer.Expose(model, ["conv1.weight"]))).Should().Throw<DflareException>()
            .WithMessage("*'conv1.weight' is a constant initializer*");
    }
}
