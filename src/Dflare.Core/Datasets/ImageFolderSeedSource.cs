using Dflare.Images;

namespace Dflare.Datasets;

/// <summary>
/// Seeds from a folder of PNG / JPEG / BMP files, in ordinal file-name order. Labels come from a CSV
/// (<c>labels.csv</c> in the folder or its parent, or an explicit file) with a header naming a <c>file</c> column and
/// one of <c>label</c>, <c>class_index</c> or <c>class</c>; a seed's id is its file name without extension.
/// </summary>
public sealed class ImageFolderSeedSource : SeedSource
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];
    private readonly string[] _files;
    private readonly Dictionary<string, int>? _labels;

    /// <summary>Opens a folder of images.</summary>
    /// <exception cref="DflareException">The folder is missing or has no images, or the labels CSV is invalid.</exception>
    public ImageFolderSeedSource(string folder, string? labelsCsv = null)
    {
        Path = folder;
        if (!Directory.Exists(folder)) throw new DflareException($"Seed folder '{folder}' does not exist.");
        _files = Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant()))
            .Where(f => !System.IO.Path.GetFileName(f).Contains(".received.", StringComparison.Ordinal))
            .OrderBy(f => System.IO.Path.GetFileName(f), StringComparer.Ordinal).ToArray();
        if (_files.Length == 0) throw new DflareException($"Seed folder '{folder}' contains no images (PNG, JPEG or BMP).");
        var full = System.IO.Path.GetFullPath(folder);
        labelsCsv ??= new[] { System.IO.Path.Combine(full, "labels.csv"), System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full) ?? full, "labels.csv") }
            .FirstOrDefault(File.Exists);
        if (labelsCsv is not null) _labels = ReadLabels(labelsCsv);
        ClassNames = FindClassNames(full) ?? FindClassNames(System.IO.Path.GetDirectoryName(full));
    }

    private static Dictionary<string, int> ReadLabels(string csv)
    {
        if (!File.Exists(csv)) throw new DflareException($"Labels file '{csv}' does not exist.");
        var lines = File.ReadAllLines(csv).Where(l => l.Trim().Length > 0).ToArray();
        if (lines.Length == 0) throw new DflareException($"Labels file '{csv}' is empty.");
        var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int fileCol = Array.IndexOf(header, "file");
        int labelCol = new[] { "label", "class_index", "class" }.Select(n => Array.IndexOf(header, n)).FirstOrDefault(i => i >= 0, -1);
        int start = 1;
        if (fileCol < 0 || labelCol < 0)
        {
            // No header: file,label.
            if (lines[0].Split(',').Length >= 2 && int.TryParse(lines[0].Split(',')[1].Trim(), out _)) { fileCol = 0; labelCol = 1; start = 0; }
            else throw new DflareException($"Labels file '{csv}' needs a header with a 'file' column and a 'label' (or 'class_index') column.");
        }
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = start; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            if (cells.Length <= Math.Max(fileCol, labelCol) || !int.TryParse(cells[labelCol].Trim(), out var label))
                throw new DflareException($"Labels file '{csv}', line {i + 1}: expected a file name and an integer label, got '{lines[i]}'.");
            map[System.IO.Path.GetFileName(cells[fileCol].Trim())] = label;
        }
        return map;
    }

    /// <inheritdoc />
    public override string Path { get; }
    /// <inheritdoc />
    public override int Count => _files.Length;
    /// <inheritdoc />
    public override bool HasLabels => _labels is not null;
    /// <inheritdoc />
    public override string Kind => $"folder {Path} ({Count} images{(HasLabels ? ", labelled" : "")})";

    /// <summary>The id of the seed at <paramref name="index"/> (its file name without extension), without decoding the image.</summary>
    public string IdAt(int index) => System.IO.Path.GetFileNameWithoutExtension(_files[index]);

    /// <inheritdoc />
    protected override Seed Read(int index)
    {
        var file = _files[index];
        var name = System.IO.Path.GetFileName(file);
        int? label = null;
        if (_labels is not null)
        {
            if (_labels.TryGetValue(name, out var l)) label = l;
        }
        return new Seed(System.IO.Path.GetFileNameWithoutExtension(file), index, Image.Load(file), label);
    }
}
