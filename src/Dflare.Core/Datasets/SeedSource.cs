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
