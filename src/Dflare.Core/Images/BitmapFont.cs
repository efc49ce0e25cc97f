namespace Dflare.Images;

/// <summary>
/// A tiny built-in 5×7 bitmap font for printable ASCII (32–126), for captions on generated images (there is no font
/// library). Glyphs are 5 wide and 7 high above the baseline; g, j, p, q and y also use one descender row below it.
/// Each character occupies a 6×9 cell (one column and one row of spacing); other characters draw as '?'.
/// </summary>
public static class BitmapFont
{
    /// <summary>Glyph width in pixels (before scaling).</summary>
    public const int GlyphWidth = 5;
    /// <summary>Glyph height in pixels above and on the baseline (before scaling).</summary>
    public const int GlyphHeight = 7;
    /// <summary>Rows below the baseline used by descenders (g, j, p, q, y).</summary>
    public const int Descender = 1;
    /// <summary>Horizontal advance per character (glyph plus one pixel of spacing).</summary>
    public const int Advance = GlyphWidth + 1;
    /// <summary>Line height (glyph, descender and one pixel of spacing).</summary>
    public const int LineHeight = GlyphHeight + Descender + 1;

    // Rows top to bottom, '#' = ink (7 rows, or 8 with a descender); one entry per character from ' ' (32) to '~' (126).
    private static readonly string[] Glyphs =
    [
        ".....|.....|.....|.....|.....|.....|.....", // ' '
        "..#..|..#..|..#..|..#..|..#..|.....|..#..", // !
        ".#.#.|.#.#.|.#.#.|.....|.....|.....|.....", // "
        ".#.#.|.#.#.|#####|.#.#.|#####|.#.#.|.#.#.", // #
        "..#..|.####|#.#..|.###.|..#.#|####.|..#..", // $
        "##...|##..#|...#.|..#..|.#...|#..##|...##", // %
        ".##..|#..#.|#.#..|.#...|#.#.#|#..#.|.##.#", // &
        "..#..|..#..|.#...|.....|.....|.....|.....", // '
        "...#.|..#..|.#...|.#...|.#...|..#..|...#.", // (
        ".#...|..#..|...#.|...#.|...#.|..#..|.#...", // )
        ".....|..#..|#.#.#|.###.|#.#.#|..#..|.....", // *
        ".....|..#..|..#..|#####|..#..|..#..|.....", // +
        ".....|.....|.....|.....|.##..|..#..|.#...", // ,
        ".....|.....|.....|#####|.....|.....|.....", // -
        ".....|.....|.....|.....|.....|.##..|.##..", // .
        ".....|....#|...#.|..#..|.#...|#....|.....", // /
        ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.", // 0
        "..#..|.##..|..#..|..#..|..#..|..#..|.###.", // 1
        ".###.|#...#|....#|...#.|..#..|.#...|#####", // 2
        "#####|...#.|..#..|...#.|....#|#...#|.###.", // 3
        "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.", // 4
        "#####|#....|####.|....#|....#|#...#|.###.", // 5
        "..##.|.#...|#....|####.|#...#|#...#|.###.", // 6
        "#####|....#|...#.|..#..|.#...|.#...|.#...", // 7
        ".###.|#...#|#...#|.###.|#...#|#...#|.###.", // 8
        ".###.|#...#|#...#|.####|....#|...#.|.##..", // 9
        ".....|.##..|.##..|.....|.##..|.##..|.....", // :
        ".....|.##..|.##..|.....|.##..|..#..|.#...", // ;
        "...#.|..#..|.#...|#....|.#...|..#..|...#.", // <
        ".....|.....|#####|.....|#####|.....|.....", // =
        ".#...|..#..|...#.|....#|...#.|..#..|.#...", // >
        ".###.|#...#|....#|...#.|..#..|.....|..#..", // ?
        ".###.|#...#|....#|.##.#|#.#.#|#.#.#|.###.", // @
        ".###.|#...#|#...#|#####|#...#|#...#|#...#", // A
        "####.|#...#|#...#|####.|#...#|#...#|####.", // B
        ".###.|#...#|#....|#....|#....|#...#|.###.", // C
        "###..|#..#.|#...#|#...#|#...#|#..#.|###..", // D
        "#####|#....|#....|####.|#....|#....|#####", // E
        "#####|#....|#....|####.|#....|#....|#....", // F
        ".###.|#...#|#....|#.###|#...#|#...#|.####", // G
        "#...#|#...#|#...#|#####|#...#|#...#|#...#", // H
        ".###.|..#..|..#..|..#..|..#..|..#..|.###.", // I
        "..###|...#.|...#.|...#.|...#.|#..#.|.##..", // J
        "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#", // K
        "#....|#....|#....|#....|#....|#....|#####", // L
        "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#", // M
        "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#", // N
        ".###.|#...#|#...#|#...#|#...#|#...#|.###.", // O
        "####.|#...#|#...#|####.|#....|#....|#....", // P
        ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#", // Q
        "####.|#...#|#...#|####.|#.#..|#..#.|#...#", // R
        ".####|#....|#....|.###.|....#|....#|####.", // S
        "#####|..#..|..#..|..#..|..#..|..#..|..#..", // T
        "#...#|#...#|#...#|#...#|#...#|#...#|.###.", // U
        "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..", // V
        "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.", // W
        "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#", // X
        "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..", // Y
        "#####|....#|...#.|..#..|.#...|#....|#####", // Z
        ".###.|.#...|.#...|.#...|.#...|.#...|.###.", // [
        ".....|#....|.#...|..#..|...#.|....#|.....", // \
        ".###.|...#.|...#.|...#.|...#.|...#.|.###.", // ]
        "..#..|.#.#.|#...#|.....|.....|.....|.....", // ^
        ".....|.....|.....|.....|.....|.....|#####", // _
        ".#...|..#..|...#.|.....|.....|.....|.....", // `
        ".....|.....|.###.|....#|.####|#...#|.####", // a
        "#....|#....|#.##.|##..#|#...#|#...#|####.", // b
        ".....|.....|.###.|#....|#....|#...#|.###.", // c
        "....#|....#|.##.#|#..##|#...#|#...#|.####", // d
        ".....|.....|.###.|#...#|#####|#....|.###.", // e
        "..##.|.#..#|.#...|###..|.#...|.#...|.#...", // f
        ".....|.....|.####|#...#|#...#|.####|....#|.###.", // g
        "#....|#....|#.##.|##..#|#...#|#...#|#...#", // h
        "..#..|.....|.##..|..#..|..#..|..#..|.###.", // i
        "...#.|.....|..##.|...#.|...#.|...#.|...#.|.##..", // j
        "#....|#....|#..#.|#.#..|##...|#.#..|#..#.", // k
        ".##..|..#..|..#..|..#..|..#..|..#..|.###.", // l
        ".....|.....|##.#.|#.#.#|#.#.#|#...#|#...#", // m
        ".....|.....|#.##.|##..#|#...#|#...#|#...#", // n
        ".....|.....|.###.|#...#|#...#|#...#|.###.", // o
        ".....|.....|####.|#...#|#...#|####.|#....|#....", // p
        ".....|.....|.####|#...#|#...#|.####|....#|....#", // q
        ".....|.....|#.##.|##..#|#....|#....|#....", // r
        ".....|.....|.###.|#....|.###.|....#|####.", // s
        ".#...|.#...|###..|.#...|.#...|.#..#|..##.", // t
        ".....|.....|#...#|#...#|#...#|#..##|.##.#", // u
        ".....|.....|#...#|#...#|#...#|.#.#.|..#..", // v
        ".....|.....|#...#|#...#|#.#.#|#.#.#|.#.#.", // w
        ".....|.....|#...#|.#.#.|..#..|.#.#.|#...#", // x
        ".....|.....|#...#|#...#|#...#|.####|....#|.###.", // y
        ".....|.....|#####|...#.|..#..|.#...|#####", // z
        "...#.|..#..|..#..|.#...|..#..|..#..|...#.", // {
        "..#..|..#..|..#..|..#..|..#..|..#..|..#..", // |
        ".#...|..#..|..#..|...#.|..#..|..#..|.#...", // }
        ".....|.....|.#...|#.#.#|...#.|.....|.....", // ~
    ];

    private const int Rows = GlyphHeight + Descender;

    private static readonly bool[][] Bits = Glyphs.Select(g =>
    {
        var bits = g.Where(ch => ch != '|').Select(ch => ch == '#').ToList();
        while (bits.Count < Rows * GlyphWidth) bits.Add(false);
        return bits.ToArray();
    }).ToArray();

    /// <summary>True when the glyph of <paramref name="c"/> has ink at column <paramref name="x"/>, row <paramref name="y"/> (0-based; row 7 is the descender).</summary>
    public static bool Ink(char c, int x, int y)
    {
        if (x < 0 || x >= GlyphWidth || y < 0 || y >= Rows) return false;
        int i = c is >= ' ' and <= '~' ? c - ' ' : '?' - ' ';
        return Bits[i][y * GlyphWidth + x];
    }

    /// <summary>Width in pixels of <paramref name="text"/> drawn at <paramref name="scale"/> (no trailing spacing).</summary>
    public static int MeasureWidth(string text, int scale = 1) => text.Length == 0 ? 0 : (text.Length * Advance - 1) * scale;

    /// <summary>
    /// Draws <paramref name="text"/> on <paramref name="canvas"/> with its top-left corner at (<paramref name="x"/>,
    /// <paramref name="y"/>), each font pixel a <paramref name="scale"/>×<paramref name="scale"/> square of
    /// <paramref name="color"/> (one value per canvas channel, or one value for all). Clips at the edges.
    /// </summary>
    /// <exception cref="ArgumentException">The scale is not positive or the colour has the wrong number of values.</exception>
    public static void DrawText(Image canvas, string text, int x, int y, ReadOnlySpan<byte> color, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        ArgumentNullException.ThrowIfNull(text);
        if (scale < 1) throw new ArgumentException($"Text scale must be at least 1, got {scale}.");
        if (color.Length != 1 && color.Length != canvas.Channels)
            throw new ArgumentException($"A colour for a {canvas.Channels}-channel image needs 1 or {canvas.Channels} values, got {color.Length}.");
        int c = canvas.Channels;
        for (int k = 0; k < text.Length; k++)
        {
            int gx = x + k * Advance * scale;
            for (int row = 0; row < Rows; row++)
                for (int col = 0; col < GlyphWidth; col++)
                {
                    if (!Ink(text[k], col, row)) continue;
                    for (int dy = 0; dy < scale; dy++)
                        for (int dx = 0; dx < scale; dx++)
                        {
                            int px = gx + col * scale + dx, py = y + row * scale + dy;
                            if (px < 0 || py < 0 || px >= canvas.Width || py >= canvas.Height) continue;
                            int o = (py * canvas.Width + px) * c;
                            for (int ch = 0; ch < c; ch++) canvas.Pixels[o + ch] = color.Length == 1 ? color[0] : color[ch];
                        }
                }
        }
    }
}
