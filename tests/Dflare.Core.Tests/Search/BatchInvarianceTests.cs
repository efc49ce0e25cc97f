using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search.Random;

namespace Dflare.Tests.Search;

/// <summary>
/// Lock-step searches are only batch-independent if ONNX Runtime gives an image the same output bits whatever else is in
/// its batch and wherever it sits. These tests check that on the real fixed-batch and dynamic-batch models.
/// </summary>
public sealed class BatchInvarianceTests
{
    internal static readonly ModelOptions Cifar = new() { Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225] };

    private static List<Image> NoisyImages(string seedsPath, int count)
    {
        var seeds = SeedSource.Open(seedsPath).Load(0, count);
        var rng = new Rng(7);
        var list = new List<Image>();
        foreach (var s in seeds)
        {
            list.Add(s.Image);
            var noisy = s.Image.Clone();
            for (int i = 0; i < noisy.Pixels.Length; i++) noisy.Pixels[i] = (byte)Math.Clamp(noisy.Pixels[i] + rng.NextInt(-40, 40), 0, 255);
            list.Add(noisy);
        }
        return list;
    }

    private static void AssertSameBitsInAnyBatch(OnnxClassifier model, List<Image> images)
    {
        var together = model.PredictScores(images);
        var reversed = model.PredictScores(images.AsEnumerable().Reverse().ToList());
        var shifted = model.PredictScores(images.Skip(3).Concat(images.Take(3)).ToList());
        for (int i = 0; i < images.Count; i++)
        {
            var alone = model.PredictScores([images[i]])[0];
            alone.Should().Equal(together[i], $"image {i} alone vs in a batch of {images.Count} ({model.Path})");
            reversed[images.Count - 1 - i].Should().Equal(together[i], $"image {i} at another batch position");
            shifted[(i - 3 + images.Count) % images.Count].Should().Equal(together[i], $"image {i} shifted by 3 positions");
        }
    }

    [Fact]
    public void Resnet8_float_and_int8_with_fixed_batch_16_give_the_same_bits_for_an_image_in_any_batch_position()
    {
        var images = NoisyImages(SharedData.Require("data/cifar10/test_first932.bin"), 20);
        AssertSameBitsInAnyBatch(OnnxClassifier.Load(SharedData.Require("models/cifar10/resnet8.onnx"), Cifar), images);
        AssertSameBitsInAnyBatch(OnnxClassifier.Load(SharedData.Require("models/cifar10/resnet8-int8.onnx"), Cifar), images);
    }

    [Fact]
    public void CnnPytorch_with_dynamic_batch_gives_the_same_bits_for_an_image_alone_or_in_batches_of_any_size()
    {
        var images = NoisyImages(SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), 40);
        var model = OnnxClassifier.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"), new ModelOptions { Mean = [0.5], Std = [0.5] });
        model.Info.FixedBatch.Should().BeNull();
        AssertSameBitsInAnyBatch(model, images);
    }
}
