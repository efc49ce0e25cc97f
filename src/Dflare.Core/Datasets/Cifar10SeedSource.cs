using Dflare.Images;

namespace Dflare.Datasets;

/// <summary>
/// Seeds from a CIFAR-10 binary file: records of 1 label byte + 1024 R + 1024 G + 1024 B (row-major 32×32).
/// Class names come from <c>batches.meta.txt</c> beside it when present.
/// </summary>
public sealed class Cifar10SeedSource : SeedSource
{
    private const int Record = 1 + 3 * 1024;
    private readonly byte[] _data;

    /// <summary>Opens a CIFAR-10 binary file.</summary>
    /// <exception cref="DflareException">The file is empty or its length is not a whole number of records.</exception>
    public Cifar10SeedSource(string path)
    {
        Path = path;
        _data = ReadMaybeGzip(path);
        if (_data.Length == 0) throw new DflareException($"CIFAR-10 file '{path}' is empty.");
        if (_data.Length % Record != 0)
            throw new DflareException($"CIFAR-10 file '{path}' has {_data.Length} bytes, not a whole number of {Record}-byte records (1 label + 3072 pixels); it is truncated or not CIFAR-10.");
        for (int i = 0; i < _data.Length; i += Record)
            if (_data[i] > 9) throw new DflareException($"CIFAR-10 file '{path}': record {i / Record} has label {_data[i]} (expected 0..9); not a CIFAR-10 binary file.");
        ClassNames = FindClassNames(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)));
    }

    /// <inheritdoc />
    public override string Path { get; }
    /// <inheritdoc />
    public override int Count => _data.Length / Record;
    /// <inheritdoc />
    public override bool HasLabels => true;
    /// <inheritdoc />
    public override string Kind => $"CIFAR-10 {System.IO.Path.GetFileName(Path)} ({Count} images 32x32, labelled)";

    /// <inheritdoc />
    protected override int? LabelAt(int index) => _data[index * Record];

    /// <inheritdoc />
    protected override Seed Read(int index)
    {
        int o = index * Record;
        var px = new byte[32 * 32 * 3];
        for (int p = 0; p < 1024; p++)
        {
            px[p * 3] = _data[o + 1 + p];
            px[p * 3 + 1] = _data[o + 1 + 1024 + p];
            px[p * 3 + 2] = _data[o + 1 + 2048 + p];
        }
        return new Seed(index.ToString(System.Globalization.CultureInfo.InvariantCulture), index, new Image(32, 32, 3, px), _data[o]);
    }
}
