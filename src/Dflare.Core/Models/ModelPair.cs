using Dflare.Images;

namespace Dflare.Models;

/// <summary>
/// An original model and its compressed counterpart. Construction checks that both take the same image
/// geometry (height, width, channels after preprocessing) and give the same number of classes.
/// </summary>
public sealed class ModelPair
{
    /// <summary>Pairs two loaded classifiers.</summary>
    /// <exception cref="DflareException">The two models do not take the same images or do not have the same classes.</exception>
    public ModelPair(OnnxClassifier original, OnnxClassifier compressed)
    {
        EnsureMatch(original, compressed);
        Original = original;
        Compressed = compressed;
    }

    /// <summary>
    /// Checks that two models can be compared image for image: the same image geometry (height, width, channels after
    /// preprocessing) and the same number of classes. Every place that pairs two models checks through here.
    /// </summary>
    /// <exception cref="DflareException">The two models do not take the same images or do not have the same classes.</exception>
    public static void EnsureMatch(OnnxClassifier original, OnnxClassifier compressed)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        var a = original.Info; var b = compressed.Info;
        if (a.Classes != b.Classes)
            throw new DflareException($"Model pair mismatch: '{a.Path}' has {a.Classes} classes but '{b.Path}' has {b.Classes}.");
        if (a.Height != b.Height || a.Width != b.Width || a.Channels != b.Channels)
            throw new DflareException($"Model pair mismatch: '{a.Path}' takes {a.Width}x{a.Height}x{a.Channels} images but '{b.Path}' takes {b.Width}x{b.Height}x{b.Channels}.");
    }

    /// <summary>
    /// Loads both models and pairs them. <paramref name="options"/> are shared by both models: they fill in what each
    /// model's sidecar leaves out and never override a different sidecar value (<see cref="ModelOptions.SharedFields"/>;
    /// a conflict is an error). <paramref name="compressedOptions"/>, when given, are the compressed model's options
    /// instead (fields they do not mark shared override its sidecar).
    /// </summary>
    /// <exception cref="DflareException">A model cannot be loaded, a shared option disagrees with a sidecar, or the pair does not match.</exception>
    public static ModelPair Load(string original, string compressed, ModelOptions? options = null, ModelOptions? compressedOptions = null)
    {
        var shared = options?.AsShared();
        return new(OnnxClassifier.Load(original, shared), OnnxClassifier.Load(compressed, compressedOptions ?? shared));
    }

    /// <summary>The effective preprocessing of both models, each field with where it came from (model, sidecar, option, default).</summary>
    public string DescribePreprocessing() =>
        $"{System.IO.Path.GetFileName(Original.Path)}: {Original.Info.DescribePreprocessing()}{Environment.NewLine}" +
        $"{System.IO.Path.GetFileName(Compressed.Path)}: {Compressed.Info.DescribePreprocessing()}";

    /// <summary>The original (reference) model.</summary>
    public OnnxClassifier Original { get; }
    /// <summary>The compressed model under test.</summary>
    public OnnxClassifier Compressed { get; }
    /// <summary>Number of classes (the same for both).</summary>
    public int Classes => Original.Classes;
    /// <summary>Images evaluated by both models together (one image on both = 2 queries).</summary>
    public long Queries => Original.Queries + Compressed.Queries;

    /// <summary>Brings an image to the pair's geometry (the original's preprocessing decides resize/crop).</summary>
    public Image Prepare(Image image) => Original.Prepare(image);

    /// <summary>Brings a seed to the pair's geometry; an image that does not fit is reported with the seed's file.</summary>
    /// <exception cref="DflareException">The seed's image does not fit the model.</exception>
    public Image Prepare(Datasets.Seed seed) => Original.Prepare(seed);

    /// <summary>Evaluates a batch on both models; returns the probability vectors of each.</summary>
    public (float[][] Original, float[][] Compressed) Predict(IReadOnlyList<Image> images)
    {
        var prepared = images.Select(Prepare).ToArray();
        return (Original.Predict(prepared), Compressed.Predict(prepared));
    }

    /// <inheritdoc />
    public override string ToString() => $"{System.IO.Path.GetFileName(Original.Path)} vs {System.IO.Path.GetFileName(Compressed.Path)}";
}
