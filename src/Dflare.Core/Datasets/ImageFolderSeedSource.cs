using Dflare.Images;

namespace Dflare.Datasets;

/// <summary>
/// Seeds from a folder of PNG / JPEG / BMP files, in one of two layouts:
/// <list type="bullet">
/// <item><b>Flat</b>: the images are in the folder itself, in ordinal file-name order; a seed's id is its file name
/// without extension. Labels come from a CSV (<c>labels.csv</c> in the folder or its parent, or an explicit file)
/// with a header naming a <c>file</c> column and one of <c>label</c>, <c>class_index</c> or <c>class</c>; a label is a
/// class index or a class name from <c>classes.txt</c>.</item>
/// <item><b>Class subfolders</b> (torchvision's ImageFolder): the folder holds no images but one subfolder per class,
/// <c>root/&lt;class&gt;/*.png</c>. Class indices follow the ordinal order of the subfolder names, or the order of
/// <c>classes.txt</c> in the root when it exists (every subfolder must be listed there). Seeds come class by class,
/// each class in file-name order; a seed's id is <c>class.file</c> (file name without extension).</item>
/// </list>
/// </summary>
public sealed class ImageFolderSeedSource : SeedSource
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];
    private readonly string[] _files;
    private readonly string[] _ids;
    private readonly int?[] _labels;
    private readonly int _classFolders;

    /// <summary>Opens a folder of images (flat or one subfolder per class).</summary>
    /// <exception cref="DflareException">The folder is missing or has no images, or the labels CSV or <c>classes.txt</c> is invalid.</exception>
    public ImageFolderSeedSource(string folder, string? labelsCsv = null)
    {
        Path = folder;
        if (!Directory.Exists(folder)) throw new DflareException($"Seed folder '{folder}' does not exist.");
        var full = System.IO.Path.GetFullPath(folder);
        var flat = ImagesIn(folder);
        if (flat.Length > 0)
        {
            _files = flat;
            _ids = flat.Select(f => System.IO.Path.GetFileNameWithoutExtension(f)).ToArray();
            ClassNames = FindClassNames(full) ?? FindClassNames(System.IO.Path.GetDirectoryName(full));
            labelsCsv ??= new[] { System.IO.Path.Combine(full, "labels.csv"), System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full) ?? full, "labels.csv") }
                .FirstOrDefault(File.Exists);
            _labels = new int?[_files.Length];
            if (labelsCsv is not null)
            {
                HasLabels = true;
                var map = ReadLabels(labelsCsv, ClassNames, folder, _files.Select(f => System.IO.Path.GetFileName(f)).ToHashSet(StringComparer.Ordinal));
                for (int i = 0; i < _files.Length; i++)
                    if (map.TryGetValue(System.IO.Path.GetFileName(_files[i]), out var l)) _labels[i] = l;
            }
            return;
        }

        var subfolders = Directory.EnumerateDirectories(folder)
            .Where(d => !System.IO.Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => System.IO.Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        var withImages = subfolders.Where(d => ImagesIn(d).Length > 0).ToArray();
        if (withImages.Length == 0)
            throw new DflareException($"Seed folder '{folder}' contains no images (PNG, JPEG or BMP), neither directly nor in class subfolders (root/<class>/*.png).");
        if (labelsCsv is not null)
            throw new DflareException($"Seed folder '{folder}' has one subfolder per class, which gives the labels; a labels file ('{labelsCsv}') is not used with that layout.");
        var classesFile = System.IO.Path.Combine(full, "classes.txt");
        IReadOnlyList<string> classes;
        if (File.Exists(classesFile))
        {
            classes = ReadNames(classesFile);
            var dup = classes.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null) throw new DflareException($"Class names file '{classesFile}' lists '{dup.Key}' twice.");
            var unlisted = withImages.Select(d => System.IO.Path.GetFileName(d)).Where(n => !classes.Contains(n, StringComparer.Ordinal)).ToArray();
            if (unlisted.Length > 0)
                throw new DflareException($"Seed folder '{folder}': class folder(s) {string.Join(", ", unlisted.Select(u => $"'{u}'"))} are not in '{classesFile}' (which lists {string.Join(", ", classes.Take(20))}{(classes.Count > 20 ? ", …" : "")}).");
        }
        else classes = subfolders.Select(d => System.IO.Path.GetFileName(d)).ToArray(); // torchvision: every class folder, sorted
        ClassNames = classes;
        HasLabels = true;
        var files = new List<string>();
        var ids = new List<string>();
        var labels = new List<int?>();
        for (int c = 0; c < classes.Count; c++)
        {
            var dir = System.IO.Path.Combine(folder, classes[c]);
            if (!Directory.Exists(dir)) continue;
            foreach (var f in ImagesIn(dir))
            {
                files.Add(f);
                ids.Add(classes[c] + "." + System.IO.Path.GetFileNameWithoutExtension(f));
                labels.Add(c);
            }
        }
        _files = files.ToArray();
        _ids = ids.ToArray();
        _labels = labels.ToArray();
        _classFolders = withImages.Length;
    }

    private static string[] ImagesIn(string folder) => Directory.EnumerateFiles(folder)
        .Where(f => Extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant()))
        .Where(f => !System.IO.Path.GetFileName(f).Contains(".received.", StringComparison.Ordinal))
        .OrderBy(f => System.IO.Path.GetFileName(f), StringComparer.Ordinal).ToArray();

    private static IReadOnlyList<string> ReadNames(string path) =>
        File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(l => l.Contains('\t') ? l.Split('\t')[^1].Trim() : l.Trim()).ToList();

    /// <summary>
    /// Reads <paramref name="csv"/> strictly: a label is a class index (within the class names when they are known) or
    /// a class name from <c>classes.txt</c>, a file listed twice has one label, and rows for files that are not in the
    /// folder are allowed only when every image of the folder has its row.
    /// </summary>
    private static Dictionary<string, int> ReadLabels(string csv, IReadOnlyList<string>? classNames, string folder, HashSet<string> files)
    {
        if (!File.Exists(csv)) throw new DflareException($"Labels file '{csv}' does not exist.");
        var lines = File.ReadAllLines(csv);
        int first = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (first < 0) throw new DflareException($"Labels file '{csv}' is empty.");
        var header = lines[first].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int fileCol = Array.IndexOf(header, "file");
        int labelCol = new[] { "label", "class_index", "class" }.Select(n => Array.IndexOf(header, n)).FirstOrDefault(i => i >= 0, -1);
        int start = first + 1;
        if (fileCol < 0 || labelCol < 0)
        {
            // No header: file,label.
            var cells = lines[first].Split(',');
            if (cells.Length >= 2 && files.Contains(System.IO.Path.GetFileName(cells[0].Trim()))) { fileCol = 0; labelCol = 1; start = first; }
            else throw new DflareException($"Labels file '{csv}' needs a header with a 'file' column and a 'label' (or 'class_index', 'class') column.");
        }
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        (int Line, string File)? missing = null;
        for (int i = start; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var cells = lines[i].Split(',');
            if (cells.Length <= Math.Max(fileCol, labelCol))
                throw new DflareException($"Labels file '{csv}', line {i + 1}: expected a file name and a label, got '{lines[i]}'.");
            var file = System.IO.Path.GetFileName(cells[fileCol].Trim());
            var text = cells[labelCol].Trim();
            int label;
            if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n))
            {
                if (n < 0 || (classNames is not null && n >= classNames.Count))
                    throw new DflareException($"Labels file '{csv}', line {i + 1}: label {n} of '{file}' is out of range ({(classNames is null ? "a class index is 0 or more" : $"0..{classNames.Count - 1}, the classes of classes.txt")}).");
                label = n;
            }
            else if (classNames is null)
                throw new DflareException($"Labels file '{csv}', line {i + 1}: label '{text}' of '{file}' is not a class index, and there is no classes.txt beside the seeds to resolve class names.");
            else
            {
                label = IndexOf(classNames, text);
                if (label < 0)
                    throw new DflareException($"Labels file '{csv}', line {i + 1}: class '{text}' of '{file}' is not in classes.txt (which lists {string.Join(", ", classNames.Take(20))}{(classNames.Count > 20 ? ", …" : "")}).");
            }
            if (!files.Contains(file)) { missing ??= (i + 1, file); continue; }
            if (map.TryGetValue(file, out var before) && before != label)
                throw new DflareException($"Labels file '{csv}', line {i + 1}: '{file}' has label {text} but line {lineOf[file]} gave it {before}.");
            map[file] = label;
            lineOf[file] = i + 1;
        }
        // Rows for files that are not here are fine when every image has its row (a subset of a labelled set keeps
        // the whole labels.csv); beside images without a row they are probably misspelt names.
        if (missing is { } m && files.FirstOrDefault(f => !map.ContainsKey(f)) is { } unlabelled)
            throw new DflareException($"Labels file '{csv}', line {m.Line}: '{m.File}' is not an image in seed folder '{folder}', while '{unlabelled}'{(files.Count(f => !map.ContainsKey(f)) > 1 ? $" and {files.Count(f => !map.ContainsKey(f)) - 1} more image(s)" : "")} ha{(files.Count(f => !map.ContainsKey(f)) > 1 ? "ve" : "s")} no row: are the file names misspelt?");
        return map;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (string.Equals(names[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <inheritdoc />
    public override string Path { get; }
    /// <inheritdoc />
    public override int Count => _files.Length;
    /// <inheritdoc />
    public override bool HasLabels { get; }
    /// <summary>True when the folder holds one subfolder per class (the labels come from the folders).</summary>
    public bool HasClassFolders => _classFolders > 0;
    /// <inheritdoc />
    public override string Kind => HasClassFolders
        ? $"folder {Path} ({Count} images in {_classFolders} class folders, labelled)"
        : $"folder {Path} ({Count} images{(HasLabels ? ", labelled" : "")})";

    /// <summary>The id of the seed at <paramref name="index"/> (its file name without extension, after <c>class.</c> in class folders), without decoding the image.</summary>
    public string IdAt(int index) => _ids[index];

    /// <inheritdoc />
    protected override int? LabelAt(int index) => _labels[index];

    /// <inheritdoc />
    protected override Seed Read(int index) => new(_ids[index], index, Image.Load(_files[index]), _labels[index], _files[index]);
}
