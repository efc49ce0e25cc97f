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


    private string Png(string folder, string name, byte value, int size = 2)
    {
        Directory.CreateDirectory(folder);
        var img = new Image(size, size, 1);
        Array.Fill(img.Pixels, value);
        var path = Path.Combine(folder, name);
        img.SavePng(path);
        return path;
    }

    private string ClassFolders(string name, params (string Class, int Count)[] classes)
    {
        var root = Path.Combine(_dir, name);
        byte v = 0;
        foreach (var (c, n) in classes)
            for (int i = 0; i < n; i++) Png(Path.Combine(root, c), $"{i:D3}.png", v++);
        return root;
    }

    [Fact]
    public void Class_subfolders_give_labels_in_sorted_class_order_and_class_dot_file_ids()
    {
        var root = ClassFolders("imagefolder", ("dog", 2), ("cat", 3), ("bird", 1));
        Directory.CreateDirectory(Path.Combine(root, ".git"));

        var src = SeedSource.Open(root);

        src.Count.Should().Be(6);
        src.HasLabels.Should().BeTrue();
        src.ClassNames.Should().Equal("bird", "cat", "dog");
        var seeds = src.Load();
        seeds.Select(s => s.Id).Should().Equal("bird.000", "cat.000", "cat.001", "cat.002", "dog.000", "dog.001");
        seeds.Select(s => s.Label).Should().Equal(0, 1, 1, 1, 2, 2);
        seeds[1].Image.Pixels[0].Should().Be(2, "cat/000.png is the third image written");
        seeds[1].File.Should().Be(Path.Combine(root, "cat", "000.png"));
        src.Kind.Should().Contain("3 class folders");
    }

    [Fact]
    public void Classes_txt_sets_the_class_order_of_subfolders_and_must_list_every_one()
    {
        var root = ClassFolders("ordered", ("dog", 1), ("cat", 1));
        File.WriteAllText(Path.Combine(root, "classes.txt"), "dog\ncat\nfish\n");
        var src = SeedSource.Open(root);
        src.ClassNames.Should().Equal("dog", "cat", "fish");
        src.Load().Select(s => (s.Id, s.Label)).Should().Equal(("dog.000", (int?)0), ("cat.000", (int?)1));

        File.WriteAllText(Path.Combine(root, "classes.txt"), "dog\n");
        ((Action)(() => SeedSource.Open(root))).Should().Throw<DflareException>().WithMessage("*'cat'*not in*classes.txt*dog*");
    }

    [Fact]
    public void A_labels_csv_may_name_classes_through_classes_txt()
    {
        var folder = Path.Combine(_dir, "named");
        Png(folder, "a.png", 1); Png(folder, "b.png", 2); Png(folder, "c.png", 3);
        File.WriteAllText(Path.Combine(folder, "classes.txt"), "cat\ndog\n");
        File.WriteAllText(Path.Combine(folder, "labels.csv"), "file,class\na.png,dog\nb.png,0\nc.png,cat\n");
        SeedSource.Open(folder).Load().Select(s => s.Label).Should().Equal(1, 0, 0);
    }

    [Theory]
    [InlineData("file,label\na.png,99\n", "*line 2*label 99*out of range*0..1*")]
    [InlineData("file,label\na.png,-1\n", "*line 2*label -1*out of range*")]
    [InlineData("file,label\na.png,0\ngone.png,1\n", "*line 3*'gone.png' is not an image in seed folder*'b.png' has no row*misspelt*")]
    [InlineData("file,label\na.png,0\na.png,1\n", "*line 3*'a.png' has label 1 but line 2 gave it 0*")]
    [InlineData("file,label\na.png,horse\n", "*line 2*class 'horse'*not in classes.txt*cat, dog*")]
    public void A_strict_labels_csv_names_the_file_line_and_problem(string csv, string message)
    {
        var folder = Path.Combine(_dir, "strict");
        Png(folder, "a.png", 1);
        Png(folder, "b.png", 2);
        File.WriteAllText(Path.Combine(folder, "classes.txt"), "cat\ndog\n");
        File.WriteAllText(Path.Combine(folder, "labels.csv"), csv);
        ((Action)(() => SeedSource.Open(folder))).Should().Throw<DflareException>().WithMessage("*labels.csv*" + message);
    }

    [Fact]
    public void A_duplicate_row_with_the_same_label_is_accepted_and_a_class_name_needs_classes_txt()
    {
        var folder = Path.Combine(_dir, "dups");
        Png(folder, "a.png", 1);
        File.WriteAllText(Path.Combine(folder, "labels.csv"), "file,label\na.png,3\na.png,3\nnot-copied.png,4\n");
        SeedSource.Open(folder).Load().Single().Label.Should().Be(3, "a row for a file left out is fine when every image has its row");
        File.WriteAllText(Path.Combine(folder, "labels.csv"), "file,label\na.png,cat\n");
        ((Action)(() => SeedSource.Open(folder))).Should().Throw<DflareException>().WithMessage("*label 'cat'*no classes.txt*");
    }

    [Fact]
    public void A_sample_spreads_over_every_class_is_deterministic_and_follows_the_run_seed()
    {
        var root = ClassFolders("sample", ("a", 20), ("b", 20), ("c", 20), ("d", 20), ("e", 20), ("f", 20));
        var src = SeedSource.Open(root);

        src.Select(0, 12, null, 0).Select(i => src.Load(i, 1)[0].Label).Distinct().Should().Equal([0], "a limit takes the first class only");
        var sample = src.SampleIndices(12, runSeed: 7);
        sample.Should().HaveCount(12).And.OnlyHaveUniqueItems().And.BeInAscendingOrder();
        src.Enumerate(sample).GroupBy(s => s.Label).Select(g => g.Count()).Should().Equal(2, 2, 2, 2, 2, 2);
        src.SampleIndices(12, runSeed: 7).Should().Equal(sample, "the same run seed gives the same sample");
        src.SampleIndices(12, runSeed: 8).Should().NotEqual(sample, "another run seed gives another sample");
        src.SampleIndices(6, runSeed: 7).Should().BeSubsetOf(sample, "a smaller sample is the start of a bigger one");
        src.SampleIndices(500, runSeed: 7).Should().HaveCount(120);
        ((Action)(() => src.Select(3, null, 5, 0))).Should().Throw<DflareException>().WithMessage("*either a sample*or an offset/limit*");
    }

    [Fact]
    public void A_seed_image_of_the_wrong_size_is_reported_with_its_file()
    {
        var folder = Path.Combine(_dir, "wrongsize");
        var file = Png(folder, "big.png", 9, size: 40);
        using var model = Dflare.Models.OnnxClassifier.Load(Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", "fashion-lenet.onnx"));
        var seed = SeedSource.Open(folder).Load().Single();
        ((Action)(() => model.Prepare(seed))).Should().Throw<DflareException>().WithMessage($"Seed image '{file}': Image of 40x40 does not fit*28x28*");
    }
}
