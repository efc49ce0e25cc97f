using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Images;

namespace Dflare.Localization;

/// <summary>Writes <c>localize.json</c> and <c>localize.png</c> (per-layer SQNR, seeds vs triggers).</summary>
public static class LocalizeReport
{
    /// <summary>The JSON file name.</summary>
    public const string JsonFile = "localize.json";
    /// <summary>The chart file name.</summary>
    public const string ChartFile = "localize.png";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes both files into <paramref name="directory"/> atomically; returns their paths.</summary>
    public static (string Json, string Chart) Write(LocalizationResult result, string directory, JsonObject context)
    {
        Directory.CreateDirectory(directory);
        var json = Path.Combine(directory, JsonFile);
        var chart = Path.Combine(directory, ChartFile);
        AtomicFile.WriteAllBytes(json, Encoding.UTF8.GetBytes(ToJson(result, context).ToJsonString(Indented) + "\n"));
        Chart(result).SavePng(chart);
        return (json, chart);
    }

    private static double R(double v, int d = 3) => Math.Round(v, d);

    /// <summary>The JSON document: context, matching (with unmatched layers), per-layer errors, ranking and per-trigger rises.</summary>
    public static JsonObject ToJson(LocalizationResult r, JsonObject context)
    {
        var layers = new JsonArray(r.Layers.Select(l => (JsonNode)new JsonObject
        {
            ["name"] = l.Name,
            ["op"] = l.Tensor.OpType,
            ["compressedOp"] = l.Tensor.CompressedOpType,
            ["originalTensor"] = l.Tensor.OriginalTensor,
            ["compressedTensor"] = l.Tensor.CompressedTensor,
            ["form"] = l.Tensor.Form.ToString().ToLowerInvariant(),
            ["pairedBy"] = l.Tensor.PairedBy,
            ["activationFused"] = l.Tensor.ActivationFused,
            ["seedSqnrDb"] = R(l.SeedSqnr),
            ["triggerSqnrDb"] = R(l.TriggerSqnr),
            ["seedRelL2"] = R(l.SeedRelL2, 6),
            ["triggerRelL2"] = R(l.TriggerRelL2, 6),
            ["firstRiseCount"] = l.FirstRiseCount,
            ["largestRiseCount"] = l.LargestRiseCount,
            ["attributedDropDb"] = R(l.AttributedDrop),
        }).ToArray());
        var triggers = new JsonArray(r.Triggers.Select(t => (JsonNode)new JsonObject
        {
            ["seed"] = t.SeedId,
            ["firstRise"] = t.FirstRise,
            ["largestRise"] = t.LargestRise,
            ["largestDropDb"] = R(t.LargestDrop),
            ["seedSqnrDb"] = new JsonArray(t.SeedSqnr.Select(v => (JsonNode)JsonValue.Create(R(v, 2))).ToArray()),
            ["triggerSqnrDb"] = new JsonArray(t.TriggerSqnr.Select(v => (JsonNode)JsonValue.Create(R(v, 2))).ToArray()),
        }).ToArray());
        return new JsonObject
        {
            ["tool"] = "dflare localize",
            ["context"] = context.DeepClone(),
            ["graphOptimizations"] = "disabled (ORT_DISABLE_ALL), as ONNX Runtime's qdq_loss_debug runs",
            ["thresholdDb"] = r.ThresholdDb,
            ["triggers"] = r.Triggers.Count,
            ["unmatchedOriginal"] = new JsonArray(r.Match.UnmatchedOriginal.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
            ["unmatchedCompressed"] = new JsonArray(r.Match.UnmatchedCompressed.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
            ["ranking"] = new JsonArray(r.Ranking.Select(l => (JsonNode)JsonValue.Create(l.Name)).ToArray()),
            ["layers"] = layers,
            ["perTrigger"] = triggers,
        };
    }

    private static readonly byte[] Black = [0, 0, 0];
    private static readonly byte[] Grey = [150, 150, 150];
    private static readonly byte[] Light = [230, 230, 230];
    private static readonly byte[] SeedColour = [52, 101, 164];
    private static readonly byte[] TriggerColour = [204, 51, 51];

    /// <summary>
    /// The chart: one row per matched tensor (graph order), a bar of the mean SQNR on seeds and one on triggers (longer is
    /// closer to the original), with values and the number of triggers whose largest rise is there ("largest rise in 23 of 23 triggers").
    /// </summary>
    public static Image Chart(LocalizationResult r)
    {
        const int scale = 2, barArea = 360, barH = 16;
        int line = BitmapFont.LineHeight * scale;
        var names = r.Layers.Select(l => Shorten(l.Name)).ToList();
        int nameW = Math.Max(10, names.DefaultIfEmpty("").Max(n => n.Length)) * BitmapFont.Advance * scale + 16;
        double max = Math.Max(10, r.Layers.SelectMany(l => new[] { l.SeedSqnr, l.TriggerSqnr }).Where(double.IsFinite).DefaultIfEmpty(10).Max());
        max = Math.Min(Localizer.MaxSqnr, Math.Ceiling(max / 10) * 10);
        int rowH = 2 * (barH + 4) + 12;
        const string title = "dflare localize: per-layer SQNR, original vs compressed";
        var subtitle = string.Create(CultureInfo.InvariantCulture, $"{r.Triggers.Count} triggers and their seeds; bars: mean SQNR in dB (full bar = {max:0} dB, longer = closer)");
        int top = 12 + 2 * line + 8 + 2 * line + 10;
        int valueW = 44 * BitmapFont.Advance * scale;
        int width = Math.Max(16 + nameW + barArea + valueW, 32 + BitmapFont.MeasureWidth(subtitle, scale));
        int height = top + r.Layers.Count * rowH + 16;
        var img = new Image(width, height, 3);
        Array.Fill(img.Pixels, (byte)255);
        BitmapFont.DrawText(img, title, 16, 12, Black, scale);
        BitmapFont.DrawText(img, subtitle, 16, 12 + line, Grey, scale);
        int ly = 12 + 2 * line + 8;
        img.FillRect(16, ly + 1, 24, barH, SeedColour);
        BitmapFont.DrawText(img, "seeds", 46, ly, Black, scale);
        img.FillRect(16, ly + line + 1, 24, barH, TriggerColour);
        BitmapFont.DrawText(img, "triggering inputs", 46, ly + line, Black, scale);
        int x0 = 16 + nameW;
        for (int i = 0; i < r.Layers.Count; i++)
        {
            var l = r.Layers[i];
            int y = top + i * rowH;
            if (i % 2 == 1) img.FillRect(8, y - 4, width - 16, rowH - 2, [246, 246, 246]);
            BitmapFont.DrawText(img, names[i], 16, y + (2 * (barH + 4) - line) / 2, Black, scale);
            Bar(img, x0, y, l.SeedSqnr / max, SeedColour, string.Create(CultureInfo.InvariantCulture, $"{l.SeedSqnr:0.0} dB"), barArea, barH, scale);
            var rise = l.LargestRiseCount > 0 ? string.Create(CultureInfo.InvariantCulture, $"  largest rise in {l.LargestRiseCount} of {r.Triggers.Count} triggers") : "";
            Bar(img, x0, y + barH + 4, l.TriggerSqnr / max, TriggerColour, string.Create(CultureInfo.InvariantCulture, $"{l.TriggerSqnr:0.0} dB{rise}"), barArea, barH, scale);
        }
        img.FillRect(x0 - 1, top - 4, 1, r.Layers.Count * rowH, Grey);
        return img;
    }

    private static void Bar(Image img, int x, int y, double fraction, byte[] colour, string text, int area, int h, int scale)
    {
        img.FillRect(x, y, area, h, Light);
        int len = (int)Math.Round(Math.Clamp(double.IsFinite(fraction) ? fraction : 0, 0, 1) * area);
        img.FillRect(x, y, len, h, colour);
        BitmapFont.DrawText(img, text, x + area + 10, y + (h - BitmapFont.GlyphHeight * scale) / 2, Black, scale);
    }

    private static string Shorten(string name) => name.Length <= 44 ? name : "..." + name[^41..];
}
