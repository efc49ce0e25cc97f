using Dflare.Images;

namespace Dflare.Tests.Images;

public sealed class ImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-img-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Image Gradient(int w, int h, int c)
    {
        var img = new Image(w, h, c);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++) img[y, x, ch] = (byte)((x * 255 / Math.Max(1, w - 1) + ch * 40 + y) % 256);
        return img;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Png_round_trip_keeps_every_pixel_and_channel_count(int channels)
    {
        var img = Gradient(13, 7, channels);
        var path = Path.Combine(_dir, $"g{channels}.png");

        img.SavePng(path);
        var back = Image.Load(path);

        back.Should().Be(img);
        Directory.GetFiles(_dir).Should().ContainSingle("the atomic write leaves no temp file");
    }

    [Fact]
    public void Png_encoding_is_byte_stable()
    {
        var img = Gradient(20, 20, 3);
        img.EncodePng().Should().Equal(img.Clone().EncodePng());
    }

    [Fact]
    public void Real_jpegs_load_as_rgb_including_a_grey_photo()
    {
        var folder = SharedData.Require("data/imagenet/images");
        var images = Directory.GetFiles(folder, "*.JPEG").Select(Image.Load).ToList();

        images.Should().HaveCount(50);
        images.Should().OnlyContain(i => i.Channels == 3, "every file is a 3-component JPEG");
        images.Should().Contain(i => IsGreyContent(i), "some photos are greyscale pictures stored as RGB");
        images.Should().OnlyContain(i => i.Width >= 100 && i.Height >= 100);
    }

    private static bool IsGreyContent(Image i)
    {
        for (int j = 0; j < i.Pixels.Length; j += 3)
            if (Math.Abs(i.Pixels[j] - i.Pixels[j + 1]) > 6 || Math.Abs(i.Pixels[j] - i.Pixels[j + 2]) > 6) return false;
        return true;
    }

    [Fact]
    public void Resize_of_a_constant_image_stays_constant_and_has_the_requested_size()
    {
        var img = new Image(40, 30, 3);
        Array.Fill(img.Pixels, (byte)77);

        var small = img.Resize(17, 9);
        var big = img.Resize(101, 55);

        small.Width.Should().Be(17); small.Height.Should().Be(9);
        small.Pixels.Should().OnlyContain(v => v == 77);
        big.Pixels.Should().OnlyContain(v => v == 77);
    }

    [Fact]
    public void Downscaling_by_two_averages_neighbouring_pixels()
    {
        // A 4x1 grey row 0, 100, 200, 250 → 2x1. The triangle filter widened to a support of 2 pixels (PIL's
        // antialiased bilinear) weighs 0, 100, 200 by 3:3:1 for the first output and 100, 200, 250 by 1:3:3 for the second.
        var img = new Image(4, 1, 1, [0, 100, 200, 250]);
        var half = img.Resize(2, 1);
        half.Pixels.Should().Equal(71, 207);
    }

    [Fact]
    public void Resize_short_side_keeps_aspect_and_centre_crop_takes_the_middle()
    {
        var img = Gradient(300, 200, 3);

        var r = img.ResizeShortSide(100);
        r.Height.Should().Be(100); r.Width.Should().Be(150);

        var crop = img.CenterCrop(100, 50);
        crop.Width.Should().Be(100); crop.Height.Should().Be(50);
        crop[0, 0, 0].Should().Be(img[75, 100, 0]);
        crop[49, 99, 2].Should().Be(img[124, 199, 2]);
    }

    [Fact]
    public void Grey_and_rgb_conversions_follow_luma_and_repeat()
    {
        var rgb = new Image(2, 1, 3, [255, 0, 0, 0, 0, 255]);
        rgb.ToGrey().Pixels.Should().Equal(76, 29);
        var grey = new Image(2, 1, 1, [10, 200]);
        grey.ToRgb().Pixels.Should().Equal(10, 10, 10, 200, 200, 200);
    }

    [Fact]
    public void Side_by_side_places_images_left_to_right_with_gaps()
    {
        var a = new Image(3, 2, 1); Array.Fill(a.Pixels, (byte)10);
        var b = new Image(4, 5, 3); Array.Fill(b.Pixels, (byte)200);

        var s = Image.SideBySide([a, b], gap: 2);

        s.Channels.Should().Be(3);
        s.Width.Should().Be(3 + 4 + 3 * 2);
        s.Height.Should().Be(5 + 2 * 2);
        s[2, 2, 0].Should().Be(10);
        s[2, 2 + 3 + 2, 1].Should().Be(200);
        s[0, 0, 0].Should().Be(255, "the background is white");
    }

    [Fact]
    public void Constructor_rejects_inconsistent_buffers()
    {
        ((Action)(() => new Image(2, 2, 3, new byte[5]))).Should().Throw<ArgumentException>().WithMessage("*5 bytes*2x2x3*12*");
        ((Action)(() => new Image(2, 2, 2))).Should().Throw<ArgumentException>().WithMessage("*1 or 3*");
    }
}
