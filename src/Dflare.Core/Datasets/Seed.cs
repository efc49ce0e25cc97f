using Dflare.Images;

namespace Dflare.Datasets;

/// <summary>One seed image: its id (stable within its source), its position in the source, the image and its label if known.</summary>
/// <param name="Id">Identifier: the record index for IDX / CIFAR files, the file name (without extension) for folders.</param>
/// <param name="Index">Zero-based position in the source (before offset and limit).</param>
/// <param name="Image">The image.</param>
/// <param name="Label">The true class, when the source has labels.</param>
/// <param name="File">The image file the seed was read from (folder sources), for messages about this seed.</param>
public sealed record Seed(string Id, int Index, Image Image, int? Label, string? File = null)
{
    /// <summary>How messages name this seed: its file when it has one, otherwise its id.</summary>
    public string Describe() => File is { } f ? $"seed image '{f}'" : $"seed '{Id}'";
}
