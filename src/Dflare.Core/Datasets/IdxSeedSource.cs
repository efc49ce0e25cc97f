using Dflare.Images;

namespace Dflare.Datasets;

/// <summary>
/// Seeds from an IDX image file (MNIST, Fashion-MNIST: magic 0x00000803, unsigned bytes, N×H×W), gzip or raw,
/// with labels from the matching IDX label file (magic 0x00000801) when it exists.
/// </summary>
public sealed class IdxSeedSource : SeedSource
{
    private readonly byte[] _images;
    private readonly byte[]? _labels;
    private readonly int _count, _height, _width, _channels, _header;

    /// <summary>Opens <paramref name="imagesPath"/>; the labels file is <paramref name="labelsPath"/> or found by name (<c>images-idx3</c> → <c>labels-idx1</c>).</summary>
    /// <exception cref="DflareException">A file is missing, has a wrong magic number, or is shorter than its header says.</exception>
    public IdxSeedSource(string imagesPath, string? labelsPath = null)
    {
        Path = imagesPath;
        _images = ReadMaybeGzip(imagesPath);
        if (_images.Length < 8) throw new DflareException($"IDX file '{imagesPath}' is too short to hold a header ({_images.Length} bytes).");
        int magic = BigEndian(_images, 0);
        int dims = magic & 0xFF;
        // An IDX magic is 0x00 0x00, a type byte (0x08: unsigned bytes) and a count of dimensions (1 to 4 here).
        if (magic >> 8 != 0x08 || dims is < 1 or > 4)
            throw new DflareException($"'{imagesPath}' is not an IDX image file: bad magic number 0x{magic:X8}; expected 0x00000803 (images N×H×W) or 0x00000804 (N×H×W×C).");
        if (dims is not (3 or 4))
            throw new DflareException($"IDX file '{imagesPath}' (magic 0x{magic:X8}) holds {(dims == 1 ? "a vector, not images: is it a labels file?" : "a matrix, not images.")} Expected 0x00000803 (images N×H×W) or 0x00000804 (N×H×W×C).");
        if (_images.Length < 4 + 4 * dims) throw new DflareException($"IDX file '{imagesPath}' is truncated inside its header.");
        _count = BigEndian(_images, 4);
        _height = BigEndian(_images, 8);
        _width = BigEndian(_images, 12);
        _channels = dims == 4 ? BigEndian(_images, 16) : 1;
        _header = 4 + 4 * dims;
        if (_channels is not (1 or 3)) throw new DflareException($"IDX file '{imagesPath}' has {_channels} channels; only 1 or 3 are supported.");
        long need = (long)_header + (long)_count * _height * _width * _channels;
        if (_count < 0 || _height <= 0 || _width <= 0 || _images.Length < need)
            throw new DflareException($"IDX file '{imagesPath}' is truncated: its header promises {_count} images of {_height}x{_width} ({need} bytes) but it has {_images.Length} bytes.");

        labelsPath ??= GuessLabels(imagesPath);
        if (labelsPath is not null)
        {
            if (!File.Exists(labelsPath)) throw new DflareException($"IDX labels file '{labelsPath}' does not exist.");
            _labels = ReadMaybeGzip(labelsPath);
            if (_labels.Length < 8) throw new DflareException($"IDX labels file '{labelsPath}' is too short to hold a header.");
            int lm = BigEndian(_labels, 0);
            if (lm != 0x00000801) throw new DflareException($"IDX labels file '{labelsPath}' has a wrong magic number 0x{lm:X8}; expected 0x00000801.");
            int ln = BigEndian(_labels, 4);
            if (ln != _count) throw new DflareException($"IDX labels file '{labelsPath}' has {ln} labels but '{imagesPath}' has {_count} images.");
            if (_labels.Length < 8 + ln) throw new DflareException($"IDX labels file '{labelsPath}' is truncated.");
        }
        ClassNames = FindClassNames(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(imagesPath)));
    }

    private static string? GuessLabels(string imagesPath)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(imagesPath))!;
        var name = System.IO.Path.GetFileName(imagesPath);
        var candidate = name.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal).Replace("images.idx3", "labels.idx1", StringComparison.Ordinal);
        if (candidate == name) return null;
        var p = System.IO.Path.Combine(dir, candidate);
        if (File.Exists(p)) return p;
        // Also accept the other compression state (raw vs .gz).
        var alt = p.EndsWith(".gz", StringComparison.Ordinal) ? p[..^3] : p + ".gz";
        return File.Exists(alt) ? alt : null;
    }

    private static int BigEndian(byte[] b, int o) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];

    /// <inheritdoc />
    public override string Path { get; }
    /// <inheritdoc />
    public override int Count => _count;
    /// <inheritdoc />
    public override bool HasLabels => _labels is not null;
    /// <inheritdoc />
    public override string Kind => $"IDX {System.IO.Path.GetFileName(Path)} ({_count} images {_width}x{_height}{(HasLabels ? ", labelled" : "")})";

    /// <inheritdoc />
    protected override int? LabelAt(int index) => _labels is null ? null : _labels[8 + index];

    /// <inheritdoc />
    protected override Seed Read(int index)
    {
        int len = _height * _width * _channels;
        var px = new byte[len];
        Array.Copy(_images, _header + (long)index * len, px, 0, len);
        return new Seed(index.ToString(System.Globalization.CultureInfo.InvariantCulture), index,
            new Image(_width, _height, _channels, px), _labels is null ? null : _labels[8 + index]);
    }
}
