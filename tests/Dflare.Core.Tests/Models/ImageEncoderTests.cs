using Dflare.Models;

namespace Dflare.Tests.Models;

/// <summary>The one normalisation loop: bytes and float pixels give the same input values, in either layout.</summary>
public sealed class ImageEncoderTests
{
    [Theory]
    [InlineData("models/cifar10/resnet8.onnx", "cifar")]                // NCHW, 3 channels, per-channel mean/std
    [InlineData("models/cifar10/squeezenet-nhwc.onnx", "cifar")]        // NHWC
    [InlineData("models/mnist/cnn-pytorch.onnx", "mnist")]              // NCHW, 1 channel
    public void Byte_and_float_pixels_normalise_to_the_same_bits_as_the_per_value_rule(string model, string data)
    {
        using var clf = OnnxClassifier.Load(SharedData.Require(model), BatchingTests.OptionsFor(model));
        var info = clf.Info;
        var p = info.Preprocessing;
        int hw = info.Height * info.Width, c = info.Channels;
        foreach (var seed in BatchingTests.Seeds(data, 3))
        {
            var pixels = clf.Prepare(seed.Image).Pixels;
            var fromBytes = new float[info.ImageLength];
            var fromFloats = new float[info.ImageLength];
            clf.Encoder.Normalize<byte>(pixels, fromBytes);
            clf.Encoder.Normalize<float>(pixels.Select(b => (float)b).ToArray(), fromFloats);
            fromFloats.Should().Equal(fromBytes);
            for (int px = 0; px < hw; px++)
                for (int ch = 0; ch < c; ch++)
                {
                    float expected = pixels[px * c + ch] * (float)(p.Scale / p.Std[ch]) + (float)(-p.Mean[ch] / p.Std[ch]);
                    int at = info.Layout == TensorLayout.Nhwc ? px * c + ch : ch * hw + px;
                    fromBytes[at].Should().Be(expected);
                }
        }
    }

    [Fact]
    public void Float_pixels_score_like_the_same_image_as_bytes()
    {
        using var clf = OnnxClassifier.Load(SharedData.Require("models/cifar10/resnet8.onnx"), BatchingTests.OptionsFor("resnet8"));
        var images = BatchingTests.Seeds("cifar", 5).Select(s => clf.Prepare(s.Image)).ToList();
        var asBytes = clf.PredictScores(images);
        var asFloats = clf.PredictScores(images.Select(i => i.Pixels.Select(b => (float)b).ToArray()).ToList());
        for (int i = 0; i < images.Count; i++) asFloats[i].Should().Equal(asBytes[i]);
    }
}
