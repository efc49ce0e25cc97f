using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;

namespace Dflare.Tests.Models;

/// <summary>Bad input gives a clear <see cref="DflareException"/> naming the file and the problem, never a crash.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Temp(string name, byte[] content)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, content);
        return p;
    }

    [Fact]
    public void A_truncated_onnx_model_is_reported_as_not_a_valid_model()
    {
        var bytes = File.ReadAllBytes(SharedData.Require("models/cifar10/resnet8.onnx"));
        var truncated = Temp("truncated.onnx", bytes[..(bytes.Length / 3)]);

        var act = () => OnnxClassifier.Load(truncated);

        act.Should().Throw<DflareException>().WithMessage($"*'{truncated}'*not a valid ONNX model*");
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_reported_as_not_a_valid_model()
    {
        var notOnnx = Temp("photo.onnx", "this is a text file, not a protobuf model\n"u8.ToArray());

        var act = () => OnnxClassifier.Load(notOnnx);

        act.Should().Throw<DflareException>().WithMessage($"*'{notOnnx}'*");
    }

    [Fact]
    public void A_missing_model_file_is_named()
    {
        var act = () => OnnxClassifier.Load(Path.Combine(_dir, "nope.onnx"));
        act.Should().Throw<DflareException>().WithMessage("*nope.onnx*does not exist*");
    }

    [Fact]
    public void A_pair_with_different_class_counts_names_both_files_and_the_counts()
    {
        var mnist = SharedData.Require("models/mnist/cnn-pytorch.onnx");
        var imagenet = SharedData.Require("models/imagenet/mobilenetv2-12-int8.onnx");

        var act = () => ModelPair.Load(mnist, imagenet, null, RealModelAccuracyTests.ImageNetOptions);

        act.Should().Throw<DflareException>().WithMessage("*mismatch*cnn-pytorch.onnx*10 classes*mobilenetv2-12-int8.onnx*1000*");
    }

    [Fact]
    public void A_pair_with_different_input_sizes_names_both_files_and_the_sizes()
    {
        var mnist = SharedData.Require("models/mnist/mnist-8.onnx");
        var cifar = SharedData.Require("models/cifar10/resnet8.onnx");

        var act = () => ModelPair.Load(mnist, cifar);

        act.Should().Throw<DflareException>().WithMessage("*mismatch*mnist-8.onnx*28x28x1*resnet8.onnx*32x32x3*");
    }

    [Fact]
    public void A_truncated_png_is_reported_as_corrupt_or_truncated()
    {
        var png = new Image(16, 16, 3, Enumerable.Range(0, 16 * 16 * 3).Select(i => (byte)(i * 7)).ToArray()).EncodePng();
        var truncated = Temp("cut.png", png[..(png.Length / 2)]);

        var act = () => Image.Load(truncated);

        act.Should().Throw<DflareException>().WithMessage($"*'{truncated}'*truncated*");
    }

    [Fact]
    public void An_unreadable_image_is_reported_with_its_path()
    {
        var garbage = Temp("garbage.png", Enumerable.Range(0, 300).Select(i => (byte)(i * 31 + 5)).ToArray());
        var empty = Temp("empty.jpg", []);

        ((Action)(() => Image.Load(garbage))).Should().Throw<DflareException>().WithMessage($"*'{garbage}'*");
        ((Action)(() => Image.Load(empty))).Should().Throw<DflareException>().WithMessage($"*'{empty}'*empty*");
    }

    [Fact]
    public void A_missing_seed_folder_is_named()
    {
        var missing = Path.Combine(_dir, "no-such-seeds");
        var act = () => SeedSource.Open(missing);
        act.Should().Throw<DflareException>().WithMessage($"*'{missing}'*does not exist*");
    }

    [Fact]
    public void An_empty_seed_folder_is_reported_as_having_no_images()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        File.WriteAllText(Path.Combine(empty, "notes.txt"), "no images here");
        var act = () => SeedSource.Open(empty);
        act.Should().Throw<DflareException>().WithMessage($"*'{empty}'*no images*");
    }

    [Fact]
    public void An_idx_file_with_a_wrong_magic_number_is_reported()
    {
        var bad = Temp("bad-images-idx3-ubyte", [0x00, 0x00, 0x09, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
        var labelsAsImages = SharedData.Require("data/mnist/t10k-labels-idx1-ubyte.gz");

        ((Action)(() => SeedSource.Open(bad))).Should().Throw<DflareException>().WithMessage($"'{bad}' is not an IDX image file: bad magic number 0x00000903*");
        var dims66 = Temp("dims-images-idx3-ubyte", [0x00, 0x00, 0x08, 0x42, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
        ((Action)(() => SeedSource.Open(dims66))).Should().Throw<DflareException>().WithMessage($"'{dims66}' is not an IDX image file: bad magic number 0x00000842*")
            .Which.Message.Should().NotContain("66 dimensions", "the fourth byte of a foreign file is not a count of dimensions");
        ((Action)(() => new IdxSeedSource(labelsAsImages))).Should().Throw<DflareException>().WithMessage("*t10k-labels-idx1-ubyte.gz*holds a vector, not images: is it a labels file?*");
    }

    [Fact]
    public void A_truncated_idx_file_is_reported()
    {
        var truncated = Temp("short-images-idx3-ubyte", [0x00, 0x00, 0x08, 0x03, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3]);
        var act = () => SeedSource.Open(truncated);
        act.Should().Throw<DflareException>().WithMessage("*truncated*10 images of 28x28*");
    }

    [Fact]
    public void Seeds_of_the_wrong_size_for_the_model_are_reported()
    {
        var clf = OnnxClassifier.Load(SharedData.Require("models/mnist/cnn-pytorch.onnx"));
        var cifar = SeedSource.Open(SharedData.Require("data/cifar10/test_first932.bin")).Load(0, 1)[0];

        var act = () => clf.Predict(cifar.Image);

        act.Should().Throw<DflareException>().WithMessage("*32x32*does not fit*cnn-pytorch.onnx*28x28*--resize*");
    }

    [Fact]
    public void A_cifar_file_with_a_partial_record_is_reported()
    {
        var bytes = File.ReadAllBytes(SharedData.Require("data/cifar10/test_first932.bin"));
        var cut = Temp("cut.bin", bytes[..(3073 * 2 + 100)]);
        var act = () => SeedSource.Open(cut);
        act.Should().Throw<DflareException>().WithMessage("*cut.bin*not a whole number of 3073-byte records*");
    }
}
