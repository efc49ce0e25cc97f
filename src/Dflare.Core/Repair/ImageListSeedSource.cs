using Dflare.Datasets;
using Dflare.Images;

namespace Dflare.Repair;

/// <summary>Seeds held in memory (e.g. calibration images with triggering inputs added), unlabelled.</summary>
public sealed class ImageListSeedSource : SeedSource
{
    private readonly IReadOnlyList<Image> _images;

    /// <summary>Wraps <paramref name="images"/>; <paramref name="name"/> stands for the path in messages.</summary>
    public ImageListSeedSource(IReadOnlyList<Image> images, string name)
    {
        _images = images;
        Path = name;
    }

    /// <inheritdoc />
    public override string Path { get; }
    /// <inheritdoc />
    public override int Count => _images.Count;
    /// <inheritdoc />
    public override bool HasLabels => false;
    /// <inheritdoc />
    public override string Kind => $"{Path} ({Count} images in memory)";
    /// <inheritdoc />
    protected override Seed Read(int index) => new($"image-{index}", index, _images[index], null);
}
