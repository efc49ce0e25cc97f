using System.Globalization;
using System.Net;
using System.Text;

namespace Dflare.Reports;

/// <summary>Small inline SVG charts for the HTML report (no scripts, no external resources).</summary>
public static class SvgCharts
{
    /// <summary>One bar of a bar chart.</summary>
    /// <param name="Label">The category label.</param>
    /// <param name="Value">The bar's length.</param>
    /// <param name="Text">The text written at the bar's end.</param>
    public sealed record Bar(string Label, double Value, string Text);

    /// <summary>
    /// A histogram of <paramref name="values"/> in about <paramref name="bins"/> equal-width bins from 0 to the largest
    /// value (or <paramref name="upper"/> when larger).
    /// </summary>
    public static string Histogram(IReadOnlyList<double> values, string xLabel, double upper = 0, int bins = 10, string title = "")
    {
        const int w = 520, h = 220, left = 44, right = 12, top = 26, bottom = 42;
        if (values.Count == 0)
            return Open(w, 40, title).Append(CultureInfo.InvariantCulture, $"<text x=\"{w / 2}\" y=\"24\" text-anchor=\"middle\" class=\"muted\">no triggering input</text></svg>").ToString();
        var sb = Open(w, h, title);
        double max = Math.Max(values.Max(), upper);
        double width = NiceStep(max / bins);
        int n = Math.Max(1, (int)Math.Ceiling(max / width));
        if (n * width <= values.Max()) n++;
        var counts = new int[n];
        foreach (var v in values) counts[Math.Clamp((int)(v / width), 0, n - 1)]++;
        int cmax = counts.Max();
        double pw = w - left - right, ph = h - top - bottom, bw = pw / n;
        for (int tick = 0; tick <= cmax; tick += Math.Max(1, (int)NiceStep(cmax / 4.0)))
        {
            double y = top + ph - ph * tick / cmax;
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{w - right}\" y1=\"{y:F1}\" y2=\"{y:F1}\" class=\"grid\"/><text x=\"{left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{tick}</text>");
        }
        for (int i = 0; i < n; i++)
        {
            double bh = cmax == 0 ? 0 : ph * counts[i] / cmax, x = left + i * bw;
            if (counts[i] > 0)
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x + 1:F1}\" y=\"{top + ph - bh:F1}\" width=\"{bw - 2:F1}\" height=\"{bh:F1}\" class=\"bar\"><title>{Fmt(i * width)}–{Fmt((i + 1) * width)}: {counts[i]}</title></rect>" +
                                                      $"<text x=\"{x + bw / 2:F1}\" y=\"{top + ph - bh - 4:F1}\" text-anchor=\"middle\">{counts[i]}</text>");
            if (n <= 12 || i % 2 == 0)
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{top + ph + 14:F1}\" text-anchor=\"middle\">{Fmt(i * width)}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + pw:F1}\" y=\"{top + ph + 14:F1}\" text-anchor=\"middle\">{Fmt(n * width)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{w - right}\" y1=\"{top + ph:F1}\" y2=\"{top + ph:F1}\" class=\"axis\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + pw / 2:F1}\" y=\"{h - 8}\" text-anchor=\"middle\" class=\"label\">{E(xLabel)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{top + ph / 2:F1}\" text-anchor=\"middle\" class=\"label\" transform=\"rotate(-90 12 {top + ph / 2:F1})\">inputs</text>");
        return sb.Append("</svg>").ToString();
    }

    /// <summary>Horizontal bars (e.g. per-operator success ratio), longest value = full width unless <paramref name="max"/> is given.</summary>
    public static string HorizontalBars(IReadOnlyList<Bar> bars, double max = 0, string title = "")
    {
        const int w = 520, rowH = 22, left = 130, right = 150, top = 10;
        int h = top * 2 + Math.Max(1, bars.Count) * rowH;
        var sb = Open(w, h, title);
        if (bars.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{w / 2}\" y=\"{h / 2 + 4}\" text-anchor=\"middle\" class=\"muted\">no data</text>");
            return sb.Append("</svg>").ToString();
        }
        double m = max > 0 ? max : Math.Max(bars.Max(b => b.Value), 1e-12);
        double pw = w - left - right;
        for (int i = 0; i < bars.Count; i++)
        {
            var b = bars[i];
            double y = top + i * rowH, len = Math.Max(0, pw * b.Value / m);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{y + 15:F1}\" text-anchor=\"end\">{E(b.Label)}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y + 3:F1}\" width=\"{pw:F1}\" height=\"{rowH - 6}\" class=\"track\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y + 3:F1}\" width=\"{len:F1}\" height=\"{rowH - 6}\" class=\"bar\"><title>{E(b.Label)}: {E(b.Text)}</title></rect>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + pw + 6:F1}\" y=\"{y + 15:F1}\">{E(b.Text)}</text>");
        }
        return sb.Append("</svg>").ToString();
    }

    /// <summary>
    /// The QUANOS per-layer chart: one bar per layer for its adversarial noise sensitivity (left axis) and a dot per
    /// layer for its bits (right axis), layers in graph order.
    /// </summary>
    public static string LayerChart(IReadOnlyList<LayerSensitivityRecord> layers, string title = "")
    {
        const int h = 260, left = 50, right = 44, top = 24, bottom = 78;
        int w = Math.Max(420, left + right + layers.Count * 34);
        var sb = Open(w, h, title);
        if (layers.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{w / 2}\" y=\"{h / 2}\" text-anchor=\"middle\" class=\"muted\">no layers</text>");
            return sb.Append("</svg>").ToString();
        }
        double pw = w - left - right, ph = h - top - bottom, bw = pw / layers.Count;
        double amax = Math.Max(layers.Max(l => l.Ans), 1e-12);
        int bmax = Math.Max(8, layers.Max(l => l.Bits ?? 0));
        for (int k = 0; k <= 4; k++)
        {
            double y = top + ph - ph * k / 4;
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{left + pw:F1}\" y1=\"{y:F1}\" y2=\"{y:F1}\" class=\"grid\"/><text x=\"{left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Fmt(amax * k / 4)}</text>" +
                                                  $"<text x=\"{left + pw + 6:F1}\" y=\"{y + 4:F1}\" class=\"bits\">{Fmt(bmax * k / 4.0)}</text>");
        }
        var points = new List<string>();
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            double x = left + i * bw, bh = ph * l.Ans / amax, cx = x + bw / 2;
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x + 3:F1}\" y=\"{top + ph - bh:F1}\" width=\"{Math.Max(1, bw - 6):F1}\" height=\"{bh:F1}\" class=\"bar\"><title>{E(l.Name)} ({E(l.Op)}): ANS {Fmt(l.Ans)}{(l.Bits is { } bt ? $", {bt} bits" : "")}</title></rect>");
            if (l.Bits is { } b)
            {
                double by = top + ph - ph * b / bmax;
                points.Add(string.Create(CultureInfo.InvariantCulture, $"{cx:F1},{by:F1}"));
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{cx:F1}\" cy=\"{by:F1}\" r=\"4\" class=\"bitsdot\"/>");
            }
            var name = l.Name.Length > 14 ? l.Name[..13] + "…" : l.Name;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{cx:F1}\" y=\"{top + ph + 10:F1}\" text-anchor=\"end\" transform=\"rotate(-45 {cx:F1} {top + ph + 10:F1})\">{E(name)}</text>");
        }
        if (points.Count > 1) sb.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{string.Join(' ', points)}\" class=\"bitsline\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{left + pw:F1}\" y1=\"{top + ph:F1}\" y2=\"{top + ph:F1}\" class=\"axis\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"14\" class=\"label\">■ ANS (left)</text><text x=\"{left + pw:F1}\" y=\"14\" text-anchor=\"end\" class=\"label bits\">● bits (right)</text>");
        return sb.Append("</svg>").ToString();
    }

    private static StringBuilder Open(int w, int h, string title)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{E(title)}\">");
        if (title.Length > 0) sb.Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title>");
        return sb;
    }

    /// <summary>A 1-2-5 step at least <paramref name="raw"/>.</summary>
    internal static double NiceStep(double raw)
    {
        if (raw <= 0 || double.IsNaN(raw)) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (var m in new[] { 1.0, 2, 5, 10 })
            if (m * p >= raw) return Math.Max(m * p, raw < 1 ? m * p : Math.Ceiling(m * p));
        return 10 * p;
    }

    private static string Fmt(double v) =>
        Math.Abs(v) >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(v - Math.Round(v)) < 1e-9 ? v.ToString("F0", CultureInfo.InvariantCulture)
        : v.ToString("G3", CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
