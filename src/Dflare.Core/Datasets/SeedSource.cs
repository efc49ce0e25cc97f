using System.IO.Compression;

namespace Dflare.Datasets;

/// <summary>
/// A source of seed images with optional labels: IDX files (MNIST / Fashion-MNIST, gzip or raw), CIFAR-10 binary
/// records, or a folder of images with an optional labels CSV. <see cref="Open"/> picks the kind from the path.
/// </summary>
public abstract class SeedSource
{
    /// <summary>The path the source was opened from.</summary>
    public abstract string Path { get; }

    /// <summary>Number of seeds in the whole source (before offset and limit).</summary>
    public abstract int Count { get; }

    /// <summary>True when seeds carry labels.</summary>
    public abstract bool HasLabels { get; }

    /// <summary>Class names in label order, when a names file sits next to the source (<c>classes.txt</c>, <c>batches.meta.txt</c>, <c>imagenet_classes.txt</c>).</summary>
    public IReadOnlyList<string>? ClassNames { get; protected init; }

    /// <summary>A short description such as <c>IDX t10k-images-idx3-ubyte.gz (10000 images, labelled)</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>Reads the seed at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    protected abstract Seed Read(int index);

    /// <summary>The label of the seed at <paramref name="index"/> (null when unlabelled); sources override it to answer without decoding the image.</summary>
    protected virtual int? LabelAt(int index) => Read(index).Label;

    /// <summary>
    /// A deterministic sample of <paramref name="count"/> seed positions spread across the classes, drawn from
    /// <paramref name="runSeed"/>: the classes take turns (in label order, unlabelled seeds as one more group), each
    /// giving a seed drawn at random from those it has left, so a class-sorted source gives every class its share
    /// instead of the first classes only. The positions come back in source order. The same source, count and run
    /// seed always give the same sample; a count at least <see cref="Count"/> gives every seed.
    /// </summary>
    /// <exception cref="DflareException">The count is not positive.</exception>
    public IReadOnlyList<int> SampleIndices(int count, ulong runSeed)
    {
        if (count <= 0) throw new DflareException($"Sample size must be positive (got {count}).");
        if (count >= Count) return Enumerable.Range(0, Count).ToArray();
        var groups = Enumerable.Range(0, Count).GroupBy(i => LabelAt(i) ?? int.MaxValue)
            .OrderBy(g => g.Key).Select(g => g.ToArray()).ToList();
        var rng = new Search.Random.Rng(Search.Random.Rng.Hash(runSeed, "dflare.sample"));
        foreach (var g in groups) rng.Shuffle(g.AsSpan());
        var picked = new List<int>(count);
        for (int round = 0; picked.Count < count; round++)
            foreach (var g in groups)
                if (round < g.Length && picked.Count < count) picked.Add(g[round]);
        picked.Sort();
        return picked;
    }

    /// <summary>Reads the seeds at the given positions, in the order given.</summary>
    /// <exception cref="DflareException">A position is outside the source, or a seed cannot be read.</exception>
    public IEnumerable<Seed> Enumerate(IEnumerable<int> positions)
    {
        foreach (var i in positions)
        {
            if (i < 0 || i >= Count) throw new DflareException($"Seed position {i} is outside '{Path}' ({Count} seeds).");
            yield return Read(i);
        }
    }

    /// <summary>
    /// The positions a run uses: <paramref name="sample"/> seeds spread across the classes (<see cref="SampleIndices"/>)
    /// when a sample is asked for, otherwise the seeds from <paramref name="offset"/>, at most <paramref name="limit"/>.
    /// </summary>
    /// <exception cref="DflareException">The offset or limit is negative, the sample is not positive, or both an offset/limit and a sample are given.</exception>
    public IReadOnlyList<int> Select(int offset, int? limit, int? sample, ulong runSeed)
    {
        if (offset < 0) throw new DflareException($"Seed offset must not be negative (got {offset}).");
        if (limit is < 0) throw new DflareException($"Seed limit must not be negative (got {limit}).");
        if (sample is { } n)
        {
            if (offset != 0 || limit is not null) throw new DflareException("Give either a sample of the seeds or an offset/limit, not both.");
            return SampleIndices(n, runSeed);
        }
        int end = limit is { } l ? (int)Math.Min((long)offset + l, Count) : Count;
        return end <= offset ? [] : Enumerable.Range(offset, end - offset).ToArray();
    }

    /// <summary>
    /// Checks that the labels of the seeds at <paramref name="positions"/> are classes of <paramref name="model"/>,
    /// which has <paramref name="classes"/> classes (a label of 99 for a 10-class model would count as a silent error).
    /// </summary>
    /// <exception cref="DflareException">A label is out of range; the message names the seed source, the seed and the model.</exception>
    public void CheckLabels(IEnumerable<int> positions, int classes, string model)
    {
        if (!HasLabels) return;
        foreach (var i in positions)
            if (LabelAt(i) is { } label && (label < 0 || label >= classes))
            {
                var seed = Read(i);
                throw new DflareException($"Seeds '{Path}': seed '{seed.Id}'{(seed.File is { } f ? $" ({System.IO.Path.GetFileName(f)})" : "")} has label {label}, " +
                                          $"but model '{model}' has {classes} classes (0..{classes - 1}); check the labels.");
            }
    }

    /// <summary>Enumerates the seeds from <paramref name="offset"/>, at most <paramref name="limit"/> of them.</summary>
    /// <exception cref="DflareException">The offset or limit is negative, or a seed cannot be read.</exception>
    public IEnumerable<Seed> Enumerate(int offset = 0, int? limit = null)
    {
        if (offset < 0) throw new DflareException($"Seed offset must not be negative (got {offset}).");
        if (limit is < 0) throw new DflareException($"Seed limit must not be negative (got {limit}).");
        int end = limit is { } l ? (int)Math.Min((long)offset + l, Count) : Count;
        for (int i = offset; i < end; i++) yield return Read(i);
    }

    /// <summary>Reads the seeds from <paramref name="offset"/>, at most <paramref name="limit"/> of them, into a list.</summary>
    public IReadOnlyList<Seed> Load(int offset = 0, int? limit = null) => Enumerate(offset, limit).ToList();

    /// <summary>Name of class <paramref name="label"/> if known, otherwise the number.</summary>
    public string ClassName(int label) => ClassNames is { } n && label >= 0 && label < n.Count ? n[label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override string ToString() => Kind;

    /// <summary>
    /// Opens a seed source from a path: a folder (of images; <c>labels.csv</c> inside is used when present), an IDX
    /// image file (<c>*-idx3-ubyte[.gz]</c>; the labels file beside it is found by name), or a CIFAR-10 binary file (<c>*.bin</c>).
    /// </summary>
    /// <param name="path">The folder or file.</param>
    /// <param name="labels">An explicit labels file (IDX labels or CSV) instead of the one found by name.</param>
    /// <exception cref="DflareException">The path does not exist, is empty, or has an unknown or invalid format.</exception>
    public static SeedSource Open(string path, string? labels = null)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new DflareException("No seed path given.");
        if (Directory.Exists(path)) return new ImageFolderSeedSource(path, labels);
        if (!File.Exists(path)) throw new DflareException($"Seed path '{path}' does not exist (expected a folder of images, an IDX file or a CIFAR-10 .bin file).");
        var name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".bin", StringComparison.Ordinal)) return new Cifar10SeedSource(path);
        if (name.Contains("idx", StringComparison.Ordinal) || name.Contains("ubyte", StringComparison.Ordinal)) return new IdxSeedSource(path, labels);
        // Sniff: an IDX magic number starts with two zero bytes.
        var head = ReadHead(path, 4);
        if (head.Length == 4 && head[0] == 0 && head[1] == 0 && head[2] == 8) return new IdxSeedSource(path, labels);
        throw new DflareException($"Seed path '{path}' is not a folder, an IDX file or a CIFAR-10 .bin file.");
    }

    /// <summary>Opens a file for reading, transparently un-gzipping it when it starts with the gzip magic.</summary>
    /// <exception cref="DflareException">The file cannot be read.</exception>
    internal static byte[] ReadMaybeGzip(string path)
    {
        try
        {
            var raw = File.ReadAllBytes(path);
            if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
            {
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                return ms.ToArray();
            }
            return raw;
        }
        catch (InvalidDataException e) { throw new DflareException($"Seed file '{path}' is not valid gzip data ({e.Message}).", e); }
        catch (IOException e) { throw new DflareException($"Seed file '{path}' cannot be read: {e.Message}", e); }
        catch (UnauthorizedAccessException e) { throw new DflareException($"Seed file '{path}' cannot be read: {e.Message}", e); }
    }

    private static byte[] ReadHead(string path, int n)
    {
        var data = ReadMaybeGzipHead(path, n);
        return data;
    }

    private static byte[] ReadMaybeGzipHead(string path, int n)
    {
        using var fs = File.OpenRead(path);
        var first = new byte[2];
        int got = fs.Read(first, 0, 2);
        fs.Position = 0;
        Stream s = got == 2 && first[0] == 0x1f && first[1] == 0x8b ? new GZipStream(fs, CompressionMode.Decompress) : fs;
        var buf = new byte[n];
        int read = 0;
        try { while (read < n) { int r = s.Read(buf, read, n - read); if (r == 0) break; read += r; } }
        catch (InvalidDataException) { return []; }
        return buf[..read];
    }

    /// <summary>Reads class names from the first names file found in <paramref name="folder"/>.</summary>
    protected static IReadOnlyList<string>? FindClassNames(string? folder)
    {
        if (folder is null) return null;
        foreach (var f in new[] { "classes.txt", "batches.meta.txt", "imagenet_classes.txt" })
        {
            var p = System.IO.Path.Combine(folder, f);
            if (!File.Exists(p)) continue;
            return File.ReadAllLines(p).Where(l => l.Trim().Length > 0)
                .Select(l => l.Contains('\t') ? l.Split('\t')[^1].Trim() : l.Trim()).ToList();
        }
        return null;
    }
}
