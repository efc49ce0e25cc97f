using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;

namespace Dflare.Tests.Onnx;

/// <summary>The real models in ../shared with the preprocessing and data each needs (from shared/catalog.json).</summary>
internal static class SharedModels
{
    public sealed record Entry(string Key, string Path, ModelOptions Options, string Seeds)
    {
        public override string ToString() => Key;
    }

    public const string Mnist = "data/mnist/t10k-images-idx3-ubyte.gz";
    public const string Cifar = "data/cifar10/test_first932.bin";
    public const string ImageNet = "data/imagenet/images";

    public static readonly ModelOptions CifarResnet = new() { Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225] };
    public static readonly ModelOptions CnnPytorch = new() { Mean = [0.5], Std = [0.5] };
    public static readonly ModelOptions ImageNetOptions = new()
    {
        ResizeShortSide = 256, CenterCrop = 224, Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225],
    };

    public static readonly IReadOnlyList<Entry> All =
    [
        new("mnist-8", "models/mnist/mnist-8.onnx", new ModelOptions(), Mnist),
        new("cnn-pytorch", "models/mnist/cnn-pytorch.onnx", CnnPytorch, Mnist),
        new("resnet8", "models/cifar10/resnet8.onnx", CifarResnet, Cifar),
        new("resnet8-int8", "models/cifar10/resnet8-int8.onnx", CifarResnet, Cifar),
        new("squeezenet-nhwc", "models/cifar10/squeezenet-nhwc.onnx", new ModelOptions(), Cifar),
        new("mobilenetv2-12-int8", "models/imagenet/mobilenetv2-12-int8.onnx", ImageNetOptions, ImageNet),
    ];

    public static Entry Get(string key) => All.Single(e => e.Key == key);

    public static TheoryData<string> Keys => new(All.Select(e => e.Key));

    /// <summary>The first <paramref name="n"/> seed images of the entry's data set (skips the test when missing).</summary>
    public static IReadOnlyList<Image> Images(Entry e, int n, int offset = 0) =>
        SeedSource.Open(SharedData.Require(e.Seeds)).Enumerate(offset, n).Select(s => s.Image).ToList();
}
