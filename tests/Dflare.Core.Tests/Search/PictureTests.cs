using Dflare.Images;
using Dflare.Search;

namespace Dflare.Tests.Search;

public sealed class PictureTests
{
    [Fact]
    public void The_font_has_a_distinct_glyph_for_every_printable_ascii_character_with_descenders_only_where_expected()
    {
        var shapes = new HashSet<string>();
        for (char ch = ' '; ch <= '~'; ch++)
        {
            var bits = string.Concat(Enumerable.Range(0, 40).Select(i => BitmapFont.Ink(ch, i % 5, i / 5) ? '#' : '.'));
            shapes.Add(bits).Should().BeTrue($"'{ch}' must not look like another character");
            if (ch != ' ') bits.Should().Contain("#", $"'{ch}' has ink");
            bool descends = Enumerable.Range(0, 5).Any(x => BitmapFont.Ink(ch, x, 7));
            descends.Should().Be("gjpqy".Contains(ch), $"only g, j, p, q, y descend ('{ch}')");
        }
        BitmapFont.Ink('\u00e9', 2, 6).Should().Be(BitmapFont.Ink('?', 2, 6), "other characters draw as '?'");
    }

    [Fact]
    public void DrawText_puts_each_glyph_at_its_advance_in_the_colour_and_scale_given()
    {
        var canvas = new Image(40, 20, 3);
        BitmapFont.DrawText(canvas, "T1", 2, 3, [255, 0, 0], scale: 2);
        // 'T' top row is full: x from 2 to 2 + 5·2 − 1, y 3..4, red.
        for (int x = 2; x < 12; x++) { canvas[3, x, 0].Should().Be(255); canvas[4, x, 1].Should().Be(0); }
        canvas[3, 12, 0].Should().Be(0, "one font pixel of spacing");
        // '1' starts one advance (6·2) later; its top row is "..#..".
        canvas[3, 2 + 12 + 4, 0].Should().Be(255);
        canvas[3, 2 + 12, 0].Should().Be(0);
        BitmapFont.MeasureWidth("T1", 2).Should().Be(22);
    }

    [Fact]
    public void The_trigger_picture_shows_seed_input_and_signed_difference_upscaled_with_captions()
    {
        var seed = new Image(32, 32, 3); Array.Fill(seed.Pixels, (byte)100);
        var input = seed.Clone(); input[5, 7, 1] = 110;
        var (diff, factor) = TriggerPicture.SignedDifference(seed, input);
        factor.Should().BeApproximately(12.7, 1e-9);
        diff[5, 7, 1].Should().Be(255);
        diff.Pixels.Count(v => v != 128).Should().Be(1);

        var pic = TriggerPicture.Compose([(seed, ["seed 1"]), (input, ["orig: cat 0.91", "comp: dog 0.55"]), (diff, ["x12.7"])]);
        int scale = TriggerPicture.ScaleFor(32);
        scale.Should().Be(4);
        pic.Width.Should().Be(6 + 3 * (128 + 6));
        pic.Height.Should().BeGreaterThan(128 + 2 * BitmapFont.LineHeight);
        // The input panel holds the upscaled input: the changed value covers a 4×4 block.
        int x0 = 6 + 128 + 6, y0 = 6;
        pic[y0 + 5 * 4 + 1, x0 + 7 * 4 + 2, 1].Should().Be(110);
        pic[y0 + 5 * 4 + 1, x0 + 7 * 4 + 2, 0].Should().Be(100);
        // Captions are drawn in black below the panels.
        var captionRows = Enumerable.Range(6 + 128 + 6, BitmapFont.LineHeight * 2).SelectMany(y => Enumerable.Range(x0, 128).Select(x => pic[y, x, 0]));
        captionRows.Should().Contain(0);
    }

    [Fact]
    public void The_signed_difference_keeps_the_pattern_of_a_change_that_is_plus_or_minus_epsilon_everywhere()
    {
        // A bounded search's usual result: every value moved by ±16. The absolute difference is one flat value (a white
        // square on the white picture); the signed one shows which values went up and which down.
        var seed = new Image(8, 8, 3); Array.Fill(seed.Pixels, (byte)100);
        var input = seed.Clone();
        for (int i = 0; i < input.Pixels.Length; i++) input.Pixels[i] = (byte)((i / 3) % 2 == 0 ? 116 : 84);
        input.Pixels.Zip(seed.Pixels, (a, b) => Math.Abs(a - b)).Distinct().Should().ContainSingle("the absolute change is the same everywhere");

        var (diff, factor) = TriggerPicture.SignedDifference(seed, input);
        factor.Should().BeApproximately(127.0 / 16, 1e-9);
        diff.Pixels.Where((_, i) => (i / 3) % 2 == 0).Should().OnlyContain(v => v == 255, "brighter is light");
        diff.Pixels.Where((_, i) => (i / 3) % 2 == 1).Should().OnlyContain(v => v == 1, "darker is dark");
        TriggerPicture.SignedDifference(seed, seed).Image.Pixels.Should().OnlyContain(v => v == 128, "unchanged is mid-grey");
        TriggerPicture.SignedCaption(factor).Should().Be("diff x7.9 (grey 0)");
    }
}
