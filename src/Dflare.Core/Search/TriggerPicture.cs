using Dflare.Images;

namespace Dflare.Search;

/// <summary>
/// The picture written for each triggering input: seed | triggering input | amplified signed difference, upscaled so small
/// images are readable, each with a caption underneath (built-in 5×7 font).
/// </summary>
public static class TriggerPicture
{
    /// <summary>
    /// The signed difference <c>input − seed</c> per value on mid-grey: 128 is unchanged, lighter where the input is
    /// brighter, darker where it is darker, scaled so that the largest change reaches 1 or 255. Unlike an
    /// absolute difference it keeps the pattern of a change that is ±ε almost everywhere (a bounded search's usual
    /// result), which an absolute difference shows as a uniform square. Returns the image and the amplification factor.
    /// </summary>
    public static (Image Image, double Factor) SignedDifference(Image seed, Image input)
    {
        int max = Distances.LInf(seed, input); // checks the shapes
        var d = new byte[seed.Pixels.Length];
        double f = max == 0 ? 1 : 127.0 / max;
        for (int i = 0; i < d.Length; i++) d[i] = (byte)Math.Clamp(128 + (int)Math.Round((input.Pixels[i] - seed.Pixels[i]) * f), 1, 255);
        return (new Image(seed.Width, seed.Height, seed.Channels, d), f);
    }

    /// <summary>The caption of a <see cref="SignedDifference"/> panel: <c>diff x7.9 (grey 0)</c>.</summary>
    public static string SignedCaption(double factor) => $"diff x{factor.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} (grey 0)";

    /// <summary>The upscaling factor used for an image of width <paramref name="width"/>: the smallest integer that makes it at least 128 pixels wide (1 for wide images).</summary>
    public static int ScaleFor(int width) => Math.Max(1, (int)Math.Ceiling(128.0 / width));

    /// <summary>
    /// Composes panels side by side on white, each upscaled by <see cref="ScaleFor"/> of the first panel, with caption
    /// lines in black under each (lines longer than the panel are cut with '~').
    /// </summary>
    public static Image Compose(IReadOnlyList<(Image Image, IReadOnlyList<string> Caption)> panels)
    {
        if (panels.Count == 0) throw new ArgumentException("Need at least one panel.");
        int scale = ScaleFor(panels[0].Image.Width);
        const int gap = 6;
        var scaled = panels.Select(p => p.Image.Scale(scale).WithChannels(3)).ToArray();
        int panelW = scaled.Max(s => s.Width);
        int maxChars = Math.Max(1, (panelW + 1) / BitmapFont.Advance);
        int lines = panels.Max(p => p.Caption.Count);
        int w = gap + panels.Count * (panelW + gap);
        int h = gap + scaled.Max(s => s.Height) + gap + lines * (BitmapFont.LineHeight + 2) + gap;
        var canvas = new Image(w, h, 3);
        Array.Fill(canvas.Pixels, (byte)255);
        for (int i = 0; i < panels.Count; i++)
        {
            int x = gap + i * (panelW + gap);
            canvas.Paste(scaled[i], x, gap);
            int y = gap + scaled[i].Height + gap;
            foreach (var line in panels[i].Caption)
            {
                var text = line.Length > maxChars ? line[..(maxChars - 1)] + "~" : line;
                BitmapFont.DrawText(canvas, text, x, y, [0, 0, 0]);
                y += BitmapFont.LineHeight + 2;
            }
        }
        return canvas;
    }
}
