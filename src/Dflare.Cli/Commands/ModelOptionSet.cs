using System.CommandLine;
using Dflare.Models;

namespace Dflare.Cli.Commands;

/// <summary>
/// The preprocessing options shared by every command that loads a model. Each set option overrides the model's
/// sidecar (<c>MODEL.onnx.json</c>), which overrides what is read from the model.
/// </summary>
internal sealed class ModelOptionSet
{
    public Option<string?> Input { get; } = new("--input") { Description = "Name of the model's image input (default: its only real input)." };
    public Option<double?> Scale { get; } = new("--scale") { Description = "Multiplier for 0..255 pixels before mean/std (default 1/255)." };
    public Option<string?> Mean { get; } = new("--mean") { Description = "Per-channel mean, comma-separated (e.g. 0.485,0.456,0.406)." };
    public Option<string?> Std { get; } = new("--std") { Description = "Per-channel standard deviation, comma-separated." };
    public Option<string?> Layout { get; } = new("--layout") { Description = "Input layout: nchw or nhwc (default: inferred)." };
    public Option<int?> Resize { get; } = new("--resize") { Description = "Resize the image's short side to N pixels (bilinear) before cropping." };
    public Option<int?> Crop { get; } = new("--crop") { Description = "Centre-crop N×N pixels after resizing." };
    public Option<string?> Output { get; } = new("--output") { Description = "Name of the output to read (default: the first)." };
    public Option<string?> OutputKind { get; } = new("--output-kind") { Description = "logits or probabilities (default: detected)." };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Input, Scale, Mean, Std, Layout, Resize, Crop, Output, OutputKind }) command.Options.Add(o);
    }

    /// <summary>The options the user set (unset ones stay null so the sidecar and the model decide).</summary>
    public ModelOptions Read(ParseResult r) => new()
    {
        Input = r.GetValue(Input),
        Scale = r.GetValue(Scale),
        Mean = r.GetValue(Mean) is { } m ? ModelOptions.ParseList(m, "--mean") : null,
        Std = r.GetValue(Std) is { } s ? ModelOptions.ParseList(s, "--std") : null,
        Layout = r.GetValue(Layout) is { } l ? ModelOptions.ParseLayout(l) : null,
        ResizeShortSide = r.GetValue(Resize),
        CenterCrop = r.GetValue(Crop),
        Output = r.GetValue(Output),
        OutputKind = r.GetValue(OutputKind) is { } k ? ModelOptions.ParseOutputKind(k) : null,
    };
}
