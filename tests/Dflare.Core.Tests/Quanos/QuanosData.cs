using Dflare.Datasets;
using Dflare.Models;
using Dflare.Quanos;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;

namespace Dflare.Tests.Quanos;

/// <summary>Shared models and seed slices for the QUANOS tests.</summary>
internal static class QuanosData
{
    public static OnnxClassifier CnnPytorch() =>
        OnnxClassifier.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"), new ModelOptions { Mean = [0.5], Std = [0.5] });

    public static OnnxClassifier Mnist8() => OnnxClassifier.Load(SharedData.Require("models/mnist/mnist-8.onnx"));

    public static OnnxClassifier Resnet8(bool int8 = false) =>
        OnnxClassifier.Load(SharedData.Require(int8 ? "models/cifar10/resnet8-int8.onnx" : "models/cifar10/resnet8.onnx"),
            new ModelOptions { Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225] });

    public static OnnxClassifier Squeezenet() => OnnxClassifier.Load(SharedData.Require("models/cifar10/squeezenet-nhwc.onnx"));

    public static IReadOnlyList<Seed> Mnist(int count, int offset = 0) =>
        SeedSource.Open(SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz")).Load(offset, count);

    public static IReadOnlyList<Seed> Cifar(int count, int offset = 0) =>
        SeedSource.Open(SharedData.Require("data/cifar10/test_first932.bin")).Load(offset, count);

    /// <summary>Gradient queries at the clean seeds, targeting the model's own prediction.</summary>
    public static List<GradientQuery> Queries(OnnxClassifier model, IReadOnlyList<Seed> seeds)
    {
        var inputs = AttackInput.From(model, seeds);
        var rows = model.PredictScores(inputs.Select(i => i.Pixels).ToList());
        return inputs.Select((x, i) => new GradientQuery(x.Id, x.Pixels, Labels.ArgMax(rows[i]))).ToList();
    }

    public static int Predict(OnnxClassifier model, float[] pixels) => Labels.ArgMax(model.PredictScores([pixels])[0]);
}
