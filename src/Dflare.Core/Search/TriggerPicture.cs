using Dflare.Images;

namespace Dflare.Search;

/// <summary>
/// The picture written for each triggering input: seed | triggering input | amplified difference, upscaled so small
/// images are readable, each with a caption underneath (built-in 5×7 font).
/// </summary>
public static class TriggerPicture
{
    /// <summary>
    /// The absolute difference of two images per value, scaled so that the largest difference maps to 255 (all black when
    /// they are equal). Returns the image and the amplification factor.
    /// </summary>
    public static (Image Image, double Factor) AmplifiedDifference(Image a, Image b)
    {
        int max = Distances.LInf(a, b); // checks the shapes
        var d = new byte[a.Pixels.Length];
        double f = max == 0 ? 1 : 255.0 / max;
        for (int i = 0; i < d.Length; i++) d[i] = (byte)Math.Min(255, (int)Math.Round(Math.Abs(a.Pixels[i] - b.Pixels[i]) * f));
        return (new Image(a.Width, a.Height, a.Channels, d), f);
    }

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
