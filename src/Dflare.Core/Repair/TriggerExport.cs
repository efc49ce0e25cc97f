using System.Globalization;
using System.Text;
using Dflare.Localization;

namespace Dflare.Repair;

/// <summary>What <see cref="TriggerExport.Write"/> wrote.</summary>
/// <param name="Directory">The folder.</param>
/// <param name="LabelsCsv">The labels file.</param>
/// <param name="Count">Images written.</param>
/// <param name="PerClass">Images per class folder.</param>
public sealed record TriggerExportResult(string Directory, string LabelsCsv, int Count, IReadOnlyDictionary<string, int> PerClass);

/// <summary>
/// Writes deviating inputs as a labelled image folder for a team's own trainer: <c>DIR/CLASS/seed-ID.png</c> (lossless,
/// at model geometry) with the original model's label, and <c>DIR/labels.csv</c> with columns
/// <c>file,label,class,compressed_label,seed,kind</c> (file relative to DIR).
/// </summary>
public static class TriggerExport
{
    /// <summary>Writes the folder (each file atomically).</summary>
    public static TriggerExportResult Write(DeviationSet set, string directory, IReadOnlyList<string>? classNames)
    {
        if (string.IsNullOrWhiteSpace(directory)) throw new DflareException("No output folder given.");
        if (File.Exists(directory)) throw new DflareException($"Output '{directory}' is a file; give a folder.");
        Directory.CreateDirectory(directory);
        string ClassName(int label)
        {
            var raw = classNames is { } n && label >= 0 && label < n.Count ? $"{label.ToString(CultureInfo.InvariantCulture)}-{n[label]}" : label.ToString(CultureInfo.InvariantCulture);
            return new string(raw.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray());
        }
        var csv = new StringBuilder("file,label,class,compressed_label,seed,kind\n");
        var perClass = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in set.Deviations)
        {
            var cls = ClassName(d.OriginalLabel);
            var safe = new string(d.Seed.Id.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray());
            var file = $"{cls}/seed-{safe}.png";
            Directory.CreateDirectory(Path.Combine(directory, cls));
            d.Input.SavePng(Path.Combine(directory, file));
            var kind = d.Seed.Status == Search.SearchStatus.Triggered ? "trigger" : "deviating-seed";
            csv.Append(CultureInfo.InvariantCulture, $"{file},{d.OriginalLabel},{cls},{d.CompressedLabel},{safe},{kind}\n");
            perClass[cls] = perClass.GetValueOrDefault(cls) + 1;
        }
        var labels = Path.Combine(directory, "labels.csv");
        AtomicFile.WriteAllText(labels, csv.ToString());
        return new TriggerExportResult(directory, labels, set.Deviations.Count, perClass);
    }
}
