namespace Dflare.Models;

/// <summary>One output of a model run over a batch of images: one row of values per image.</summary>
/// <param name="Name">The output (tensor) name.</param>
/// <param name="ElementType">The element type of the values as the model produced them (e.g. <c>Float</c>, <c>UInt8</c>); the rows are always float.</param>
/// <param name="Shape">The shape of one image's tensor (the model's shape without the batch axis).</param>
/// <param name="Rows">The values of each image, flattened row-major, converted to float.</param>
public sealed record TensorRows(string Name, string ElementType, int[] Shape, float[][] Rows);
