using Dflare.Datasets;
using Dflare.Models;

namespace Dflare.Tests.Search;

/// <summary>The real model pairs and seeds the search tests run on.</summary>
internal static class SearchTestData
{
    public static ModelPair Resnet8Pair() => ModelPair.Load(
        SharedData.Require("models/cifar10/resnet8.onnx"), SharedData.Require("models/cifar10/resnet8-int8.onnx"),
        BatchInvarianceTests.Cifar);

    public static SeedSource Cifar() => SeedSource.Open(SharedData.Require("data/cifar10/test_first932.bin"));

    /// <summary>Two different MNIST models (cnn-pytorch as "original", mnist-8 as "compressed"): they disagree easily.</summary>
    public static ModelPair MnistPair() => new(
        OnnxClassifier.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"), new ModelOptions { Mean = [0.5], Std = [0.5] }),
        OnnxClassifier.Load(SharedData.Require("models/mnist/mnist-8.onnx")));

    public static SeedSource Mnist() => SeedSource.Open(SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"));
}
