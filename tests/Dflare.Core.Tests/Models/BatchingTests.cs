using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;

namespace Dflare.Tests.Models;

/// <summary>Evaluating a batch gives the same probabilities as evaluating the images one at a time, on every shared model.</summary>
public sealed class BatchingTests
{
    public static TheoryData<string, string, int> Models => new()
    {
        { "models/mnist/mnist-8.onnx", "mnist", 20 },
        { "models/mnist/cnn-pytorch.onnx", "mnist", 150 },
        { "models/cifar10/resnet8.onnx", "cifar", 37 },
        { "models/cifar10/resnet8-int8.onnx", "cifar", 37 },
        { "models/cifar10/squeezenet-nhwc.onnx", "cifar", 70 },
        { "models/imagenet/mobilenetv2-12-int8.onnx", "imagenet", 6 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Batched_evaluation_equals_one_at_a_time_evaluation(string model, string data, int count)
    {
        var options = OptionsFor(model);
        var clf = OnnxClassifier.Load(SharedData.Require(model), options with { MaxBatch = 64 });
        var images = Seeds(data, count).Select(s => clf.Prepare(s.Image)).ToArray();

        var batched = clf.Predict(images);
        var single = images.Select(i => clf.Predict(i)).ToArray();

        batched.Should().HaveCount(count);
        double maxDiff = 0;
        for (int i = 0; i < count; i++)
        {
            batched[i].Should().HaveCount(clf.Classes);
            for (int k = 0; k < clf.Classes; k++) maxDiff = Math.Max(maxDiff, Math.Abs(batched[i][k] - single[i][k]));
        }
        maxDiff.Should().BeLessThanOrEqualTo(1e-5);
        clf.Queries.Should().Be(2L * count);
    }

    [Fact]
    public void A_batch_larger_than_the_maximum_is_split_and_keeps_order()
    {
        var clf = OnnxClassifier.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"), new ModelOptions { Mean = [0.5], Std = [0.5], MaxBatch = 7 });
        var images = Seeds("mnist", 30).Select(s => s.Image).ToArray();

        var split = clf.PredictScores(images);
        var reference = OnnxClassifier.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"), new ModelOptions { Mean = [0.5], Std = [0.5], MaxBatch = 64 })
            .PredictScores(images);

        clf.Runs.Should().Be(5, "30 images in batches of at most 7 take 5 runs");
        for (int i = 0; i < images.Length; i++) split[i].Should().BeEquivalentTo(reference[i], o => o.Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-5f)).WhenTypeIs<float>());
    }

    [Fact]
    public void Probabilities_are_a_distribution_for_logit_and_probability_models()
    {
        foreach (var (model, data) in new[] { ("models/mnist/mnist-8.onnx", "mnist"), ("models/cifar10/squeezenet-nhwc.onnx", "cifar") })
        {
            var clf = OnnxClassifier.Load(SharedData.Require(model));
            foreach (var p in clf.Predict(Seeds(data, 5).Select(s => s.Image).ToArray()))
            {
                p.Should().OnlyContain(v => v >= 0 && v <= 1);
                p.Sum().Should().BeApproximately(1f, 1e-4f);
            }
        }
    }

    internal static ModelOptions OptionsFor(string model) => model switch
    {
        _ when model.Contains("cnn-pytorch") => new ModelOptions { Mean = [0.5], Std = [0.5] },
        _ when model.Contains("resnet8") => RealModelAccuracyTests.CifarResnetOptions,
        _ when model.Contains("mobilenet") => RealModelAccuracyTests.ImageNetOptions,
        _ => new ModelOptions(),
    };

    internal static IReadOnlyList<Seed> Seeds(string data, int count) => data switch
    {
        "mnist" => SeedSource.Open(SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz")).Load(0, count),
        "cifar" => SeedSource.Open(SharedData.Require("data/cifar10/test_first932.bin")).Load(0, count),
        "imagenet" => SeedSource.Open(SharedData.Require("data/imagenet/images")).Load(0, count),
        _ => throw new ArgumentException(data),
    };
}
