using Dflare.Models;
using Xunit;

namespace Dflare.Xunit;

/// <summary>
/// What the Dflare test attributes share: the model preprocessing options (each overrides the model's sidecar
/// <c>MODEL.onnx.json</c>, which overrides what the model declares) and what to do when a file is missing.
/// </summary>
public abstract class DflareFactAttribute : FactAttribute
{
    /// <summary>Forwards the caller's source location to xUnit.</summary>
    protected DflareFactAttribute(string? sourceFilePath, int sourceLineNumber) : base(sourceFilePath, sourceLineNumber) => SourceFile = sourceFilePath;

    /// <summary>The source file holding the attribute (relative paths and the snapshot folder start from it).</summary>
    public string? SourceFile { get; }

    /// <summary>
    /// Report the cases as skipped, naming the missing path, when a model or the seed source does not exist (for
    /// optional data such as a shared folder); by default a missing file fails the case.
    /// </summary>
    public bool SkipWhenFilesMissing { get; set; }

    /// <summary>Pixel scale before mean/std (0 = model / sidecar default).</summary>
    public double Scale { get; set; }
    /// <summary>Per-channel mean, comma-separated (empty = sidecar / default).</summary>
    public string? Mean { get; set; }
    /// <summary>Per-channel std, comma-separated (empty = sidecar / default).</summary>
    public string? Std { get; set; }
    /// <summary>nchw or nhwc (empty = inferred).</summary>
    public string? Layout { get; set; }
    /// <summary>Resize the short side to this many pixels (0 = no resize).</summary>
    public int Resize { get; set; }
    /// <summary>Centre crop size (0 = none).</summary>
    public int Crop { get; set; }
    /// <summary>Output name (empty = first).</summary>
    public string? Output { get; set; }
    /// <summary>logits or probabilities (empty = detected).</summary>
    public string? OutputKind { get; set; }

    /// <summary>The preprocessing options set on the attribute (unset ones stay null).</summary>
    /// <exception cref="DflareException">A value is malformed.</exception>
    public ModelOptions ToModelOptions() => new()
    {
        Scale = Scale > 0 ? Scale : null,
        Mean = string.IsNullOrWhiteSpace(Mean) ? null : ModelOptions.ParseList(Mean, "Mean"),
        Std = string.IsNullOrWhiteSpace(Std) ? null : ModelOptions.ParseList(Std, "Std"),
        Layout = string.IsNullOrWhiteSpace(Layout) ? null : ModelOptions.ParseLayout(Layout, "Layout"),
        ResizeShortSide = Resize > 0 ? Resize : null,
        CenterCrop = Crop > 0 ? Crop : null,
        Output = string.IsNullOrWhiteSpace(Output) ? null : Output,
        OutputKind = string.IsNullOrWhiteSpace(OutputKind) ? null : ModelOptions.ParseOutputKind(OutputKind, "OutputKind"),
    };
}
