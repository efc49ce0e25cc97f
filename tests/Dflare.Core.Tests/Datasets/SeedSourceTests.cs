using System.IO.Compression;
using Dflare.Datasets;
using Dflare.Images;

namespace Dflare.Tests.Datasets;

public sealed class SeedSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-seeds-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mnist_idx_gz_gives_10000_labelled_28x28_grey_seeds_with_index_ids()
    {
        var src = SeedSource.Open(SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"));

        src.Count.Should().Be(10_000);
        src.HasLabels.Should().BeTrue();
        var seeds = src.Load(offset: 5, limit: 3);
        seeds.Select(s => s.Id).Should().Equal("5", "6", "7");
        seeds.Should().OnlyContain(s => s.Image.Width == 28 && s.Image.Height == 28 && s.Image.Channels == 1);
        src.Load(0, 3).Select(s => s.Label).Should().Equal([7, 2, 1], "the MNIST test set starts with 7, 2, 1");
    }

    [Fact]
    public void Raw_and_gzip_idx_files_give_the_same_seeds()
    {
        var gz = SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz");
        var raw = Path.Combine(_dir, "t10k-images-idx3-ubyte");
        using (var i = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        using (var o = File.Create(raw)) i.CopyTo(o);

        var a = new IdxSeedSource(gz).Load(100, 5);
        var b = new IdxSeedSource(raw).Load(100, 5);

        b.Select(s => s.Image).Should().Equal(a.Select(s => s.Image));
        new IdxSeedSource(raw).HasLabels.Should().BeFalse("no labels file sits beside the copy");
    }

    [Fact]
    public void Cifar_binary_records_give_rgb_images_labels_and_class_names()
    {
        var src = SeedSource.Open(SharedData.Require("data/cifar10/test_first932.bin"));

        src.Count.Should().Be(932);
        src.ClassNames.Should().HaveCount(10);
        var first = src.Load(0, 1)[0];
        first.Image.Channels.Should().Be(3);
        first.Label.Should().Be(3);
        src.ClassName(first.Label!.Value).Should().Be("cat", "the first CIFAR-10 test image is a cat");
    }

    [Fact]
    public void A_folder_of_images_with_a_labels_csv_gives_file_name_ids_in_order()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "imgs")).FullName;
        foreach (var (name, v) in new[] { ("b.png", 20), ("a.png", 10), ("c.bmp", 30) })
        {
            var img = new Image(4, 4, 1); Array.Fill(img.Pixels, (byte)v);
            if (name.EndsWith(".png")) img.SavePng(Path.Combine(folder, name));
            else File.WriteAllBytes(Path.Combine(folder, name), TestImages.Bmp24(img));
        }
        File.WriteAllText(Path.Combine(folder, "labels.csv"), "file,label\na.png,1\nb.png,2\nc.bmp,3\n");

        var src = SeedSource.Open(folder);
        var seeds = src.Load();

        seeds.Select(s => s.Id).Should().Equal("a", "b", "c");
        seeds.Select(s => s.Label).Should().Equal(1, 2, 3);
        seeds.Select(s => s.Image.Pixels[0]).Should().Equal(10, 20, 30);
        src.Load(1, 1).Single().Id.Should().Be("b");
    }

    [Fact]
    public void ImageNet_folder_finds_labels_csv_in_the_parent_folder()
    {
        var src = SeedSource.Open(SharedData.Require("data/imagenet/images"));
        src.HasLabels.Should().BeTrue();
        var tench = src.Load(0, 1)[0];
        tench.Id.Should().Be("n01440764_tench");
        tench.Label.Should().Be(0);
        src.ClassName(0).Should().Be("tench");
    }

    [Fact]
    public void A_labels_csv_without_a_usable_header_is_reported()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "badcsv")).FullName;
        new Image(2, 2, 1).SavePng(Path.Combine(folder, "x.png"));
        File.WriteAllText(Path.Combine(folder, "labels.csv"), "name,kind\nx.png,cat\n");
        ((Action)(() => SeedSource.Open(folder))).Should().Throw<DflareException>().WithMessage("*labels.csv*header*file*label*");
    }

}
