using System.CommandLine;
using Dflare.Models;

namespace Dflare.Cli.Commands;

/// <summary>
/// The preprocessing options shared by every command that loads a model. A shared option fills in what a model's
/// sidecar (<c>MODEL.onnx.json</c>) leaves out and never overrides a different value the sidecar sets (that is an
/// error naming both; <see cref="ModelOptions.SharedFields"/>). Commands that load a pair also take a second set
/// prefixed <c>--compressed-</c> (<see cref="ForCompressed"/>): those are the compressed model's own, and override
/// the shared options and its sidecar, e.g. when its export named the input or output differently.
/// </summary>
internal sealed class ModelOptionSet
{
    private readonly bool _shared;

    private ModelOptionSet(string prefix, string whose, bool geometry)
    {
        _shared = geometry;
        Option<T> Make<T>(string name, string description) =>
            new("--" + prefix + name) { Description = whose.Length == 0 ? description : whose + char.ToLowerInvariant(description[0]) + description[1..] };
        Input = Make<string?>("input", "Name of the model's image input (default: its only real input).");
        Scale = Make<double?>("scale", "Multiplier for 0..255 pixels before mean/std (default 1/255).");
        Mean = Make<string?>("mean", "Per-channel mean, comma-separated (e.g. 0.485,0.456,0.406).");
        Std = Make<string?>("std", "Per-channel standard deviation, comma-separated.");
        Layout = Make<string?>("layout", "Input layout: nchw or nhwc (default: inferred).");
        Output = Make<string?>("output", "Name of the output to read (default: the first).");
        OutputKind = Make<string?>("output-kind", "logits or probabilities (default: detected).");
        // Resizing and cropping decide the pair's shared geometry, so they exist once, for both models.
        Resize = geometry ? Make<int?>("resize", "Resize the image's short side to N pixels before cropping (filter: --resize-filter).") : null;
        Crop = geometry ? Make<int?>("crop", "Centre-crop N×N pixels after resizing.") : null;
        Filter = geometry ? Make<string?>("resize-filter", "Resize filter as PIL: nearest, bilinear (default), bicubic or lanczos.") : null;
        Antialias = geometry ? Make<bool?>("antialias", "true (default; PIL, torchvision) or false (torch interpolate without antialias): widen a shrinking filter.") : null;
    }

    /// <summary>The options for a model (or both models of a pair): <c>--mean</c>, <c>--std</c>, ...</summary>
    public ModelOptionSet() : this("", "", geometry: true) { }

    /// <summary>The <c>--compressed-*</c> options, which override the shared ones for the compressed model of a pair.</summary>
    public static ModelOptionSet ForCompressed() => new("compressed-", "Compressed (or --compare) model only, over the shared option: ", geometry: false);

    public Option<string?> Input { get; }
    public Option<double?> Scale { get; }
    public Option<string?> Mean { get; }
    public Option<string?> Std { get; }
    public Option<string?> Layout { get; }
    public Option<int?>? Resize { get; }
    public Option<int?>? Crop { get; }
    public Option<string?>? Filter { get; }
    public Option<bool?>? Antialias { get; }
    public Option<string?> Output { get; }
    public Option<string?> OutputKind { get; }

    private IEnumerable<Option> All =>
        new Option?[] { Input, Scale, Mean, Std, Layout, Resize, Crop, Filter, Antialias, Output, OutputKind }.OfType<Option>();

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>The options the user set (unset ones stay null so the sidecar and the model decide); the shared set's are marked shared.</summary>
    public ModelOptions Read(ParseResult r)
    {
        var o = ReadSet(r);
        return _shared ? o.AsShared() : o;
    }

    private ModelOptions ReadSet(ParseResult r) => new()
    {
        Input = r.GetValue(Input),
        Scale = r.GetValue(Scale),
        Mean = r.GetValue(Mean) is { } m ? ModelOptions.ParseList(m, Mean.Name) : null,
        Std = r.GetValue(Std) is { } s ? ModelOptions.ParseList(s, Std.Name) : null,
        Layout = r.GetValue(Layout) is { } l ? ModelOptions.ParseLayout(l, Layout.Name) : null,
        ResizeShortSide = Resize is null ? null : r.GetValue(Resize),
        CenterCrop = Crop is null ? null : r.GetValue(Crop),
        ResizeFilter = Filter is not null && r.GetValue(Filter) is { } f ? ModelOptions.ParseFilter(f, Filter.Name) : null,
        Antialias = Antialias is null ? null : r.GetValue(Antialias),
        Output = r.GetValue(Output),
        OutputKind = r.GetValue(OutputKind) is { } k ? ModelOptions.ParseOutputKind(k, OutputKind.Name) : null,
    };

    /// <summary>The names of the options of this set given on the command line.</summary>
    public IReadOnlyList<string> Given(ParseResult r) => All.Where(o => r.GetResult(o) is not null).Select(o => o.Name).ToArray();

    /// <summary>
    /// Loads the <c>--compare</c> model of <c>eval</c> / <c>robustness</c> with these (<c>--compressed-*</c>) options over
    /// <paramref name="shared"/> and checks it pairs with <paramref name="first"/>; null without <c>--compare</c>, when
    /// giving any of these options is an error.
    /// </summary>
    /// <exception cref="DflareException">A <c>--compressed-*</c> option without <c>--compare</c>, or the two models do not pair.</exception>
    public OnnxClassifier? LoadCompare(ParseResult r, string? comparePath, ModelOptions shared, OnnxClassifier first)
    {
        if (comparePath is null)
        {
            if (Given(r) is { Count: > 0 } given)
                throw new DflareException($"{string.Join(", ", given)} appl{(given.Count == 1 ? "ies" : "y")} to the --compare model; give --compare OTHER.onnx.");
            return null;
        }
        var other = OnnxClassifier.Load(comparePath, ReadCompressed(r, shared));
        ModelPair.EnsureMatch(first, other);
        return other;
    }

    /// <summary>The compressed model's options: <paramref name="shared"/> overridden by the <c>--compressed-*</c> ones set.</summary>
    public ModelOptions ReadCompressed(ParseResult r, ModelOptions shared) => shared.OverriddenBy(Read(r));
}
