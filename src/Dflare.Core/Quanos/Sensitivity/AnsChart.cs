using System.Globalization;
using Dflare.Images;

namespace Dflare.Quanos.Sensitivity;

/// <summary>
/// Draws the per-layer bar chart of a QUANOS analysis: for each weighted layer (top to bottom, graph order) its name,
/// an ANS bar, a bar of the pure rule's bits and, when given, a bar of the constrained bits, each with its value.
/// Drawn with the built-in bitmap font (ASCII only), on white, RGB.
/// </summary>
public static class AnsChart
{
    private static readonly byte[] Black = [0, 0, 0];
    private static readonly byte[] Grey = [150, 150, 150];
    private static readonly byte[] LightGrey = [225, 225, 225];
    private static readonly byte[] AnsColour = [52, 101, 164];
    private static readonly byte[] BitsColour = [230, 126, 34];
    private static readonly byte[] ConstrainedColour = [46, 139, 87];
    private static readonly byte[] Warn = [200, 30, 30];

    private const int Scale = 2;
    private const int BarArea = 420;
    private const int BarHeight = 14;
    private const int MaxNameChars = 50;

    /// <summary>Renders the chart.</summary>
    /// <param name="ans">The ANS table with the pure rule's bits.</param>
    /// <param name="constrainedBits">The constrained bits by layer name, or null.</param>
    /// <param name="title">The first line (ASCII; other characters draw as '?').</param>
    /// <param name="subtitle">An optional second line.</param>
    public static Image Render(AnsReport ans, IReadOnlyDictionary<string, int>? constrainedBits, string title, string? subtitle = null)
    {
        ArgumentNullException.ThrowIfNull(ans);
        ArgumentNullException.ThrowIfNull(title);
        var inv = CultureInfo.InvariantCulture;
        int ch = BitmapFont.Advance * Scale, line = BitmapFont.LineHeight * Scale;
        var names = ans.Layers.Select(l => Shorten(l.Name)).ToList();
        int nameWidth = Math.Max(12, names.DefaultIfEmpty("").Max(n => n.Length)) * ch + 16;
        int bars = constrainedBits is null ? 2 : 3;
        int rowHeight = bars * (BarHeight + 6) + 14;
        double ansMax = Math.Max(1.0, ans.Layers.Select(l => l.Ans).DefaultIfEmpty(0).Max());
        // Round the ANS axis up to a tenth so the scale label is short.
        ansMax = Math.Ceiling(ansMax * 10 - 1e-9) / 10;

        var legend = new List<(byte[] Colour, string Text)>
        {
            (AnsColour, string.Create(inv, $"ANS (full bar = {ansMax:0.0})")),
            (BitsColour, $"bits, ANS rule (full bar = {ans.KInit})"),
        };
        if (constrainedBits is not null) legend.Add((ConstrainedColour, $"bits, constrained (full bar = {ans.KInit})"));
        int headerLines = subtitle is null ? 1 : 2;
        int top = 12 + headerLines * line + 8 + legend.Count * line + 12;
        int valueWidth = 26 * ch;
        int width = Math.Max(16 + nameWidth + BarArea + valueWidth, 16 + Math.Max(BitmapFont.MeasureWidth(title, Scale), BitmapFont.MeasureWidth(subtitle ?? "", Scale)) + 16);
        int height = top + ans.Layers.Count * rowHeight + 16;
        var img = new Image(width, height, 3);
        Array.Fill(img.Pixels, (byte)255);

        BitmapFont.DrawText(img, title, 16, 12, Black, Scale);
        if (subtitle is not null) BitmapFont.DrawText(img, subtitle, 16, 12 + line, Grey, Scale);
        int ly = 12 + headerLines * line + 8;
        foreach (var (colour, text) in legend)
        {
            img.FillRect(16, ly + 1, 24, BarHeight - 2, colour);
            BitmapFont.DrawText(img, text, 46, ly, Black, Scale);
            ly += line;
        }

        int barX = 16 + nameWidth;
        for (int i = 0; i < ans.Layers.Count; i++)
        {
            var l = ans.Layers[i];
            int y = top + i * rowHeight;
            if (i % 2 == 1) img.FillRect(8, y - 4, width - 16, rowHeight - 2, [246, 246, 246]);
            BitmapFont.DrawText(img, names[i], 16, y + (bars * (BarHeight + 6) - line) / 2, Black, Scale);
            // Full-length tracks, so the bars' lengths are visibly fractions of the axis.
            for (int b = 0; b < bars; b++) img.FillRect(barX, y + b * (BarHeight + 6), BarArea, BarHeight, LightGrey);
            Bar(img, barX, y, l.Ans / ansMax, AnsColour, string.Create(inv, $"{l.Ans:0.000} +/- {l.AnsStdErr:0.000}"), Black);
            var bitsText = $"{l.Bits} bits" + (l.Clamped ? $" (clamped from {l.RawBits})" : "") + (l.Fragile ? " FRAGILE" : "");
            Bar(img, barX, y + BarHeight + 6, (double)l.Bits / ans.KInit, BitsColour, bitsText, l.Fragile || l.Clamped ? Warn : Black);
            if (constrainedBits is not null && constrainedBits.TryGetValue(l.Name, out var cb))
                Bar(img, barX, y + 2 * (BarHeight + 6), (double)cb / ans.KInit, ConstrainedColour,
                    cb == l.Bits ? $"{cb} bits" : $"{cb} bits (+{cb - l.Bits})", Black);
        }
        // Axis line at zero.
        img.FillRect(barX - 1, top - 4, 1, ans.Layers.Count * rowHeight, Grey);
        return img;
    }

    private static void Bar(Image img, int x, int y, double fraction, byte[] colour, string text, byte[] textColour)
    {
        int len = (int)Math.Round(Math.Clamp(double.IsFinite(fraction) ? fraction : 0, 0, 1) * BarArea);
        if (fraction > 0 && len == 0) len = 1;
        img.FillRect(x, y, len, BarHeight, colour);
        BitmapFont.DrawText(img, text, x + BarArea + 10, y + (BarHeight - BitmapFont.GlyphHeight * Scale) / 2, textColour, Scale);
    }

    /// <summary>A layer name cut to <see cref="MaxNameChars"/> characters, keeping its end (the most specific part).</summary>
    internal static string Shorten(string name) => name.Length <= MaxNameChars ? name : "..." + name[^(MaxNameChars - 3)..];
}
