using System.Globalization;
using Dflare.Images;

namespace Dflare.Models;

/// <summary>
/// A model gave a NaN or infinite score for an image: its outputs cannot be ranked, so no label, accuracy or deviation
/// can be read from them. Thrown at the query; callers that know which seed the image came from name it
/// (<see cref="ForSeed"/>).
/// </summary>
public sealed class NonFiniteOutputException : DflareException
{
    private NonFiniteOutputException(string message, string model, string output, int index, int @class, float value, Image? image, string? seed)
        : base(message)
    {
        Model = model; Output = output; Index = index; Class = @class; Value = value; Image = image; SeedId = seed;
    }

    /// <summary>Creates the exception for image <paramref name="index"/> of a query.</summary>
    public NonFiniteOutputException(string model, string output, int index, int @class, float value)
        : this(Compose(model, output, @class, value, null), model, output, index, @class, value, null, null) { }

    /// <summary>The model's path.</summary>
    public string Model { get; }
    /// <summary>The output read.</summary>
    public string Output { get; }
    /// <summary>The image's position in the query.</summary>
    public int Index { get; }
    /// <summary>The class whose score is not finite.</summary>
    public int Class { get; }
    /// <summary>The score (NaN or ±infinity).</summary>
    public float Value { get; }
    /// <summary>The image queried, when known.</summary>
    public Image? Image { get; }
    /// <summary>The seed the image belongs to, when known.</summary>
    public string? SeedId { get; }

    /// <summary>The same error with the image that was queried.</summary>
    public NonFiniteOutputException WithImage(Image image) => new(Message, Model, Output, Index, Class, Value, image, SeedId);

    /// <summary>The same error naming the seed the image belongs to (unchanged when <paramref name="seedId"/> is null).</summary>
    public NonFiniteOutputException ForSeed(string? seedId) => seedId is null
        ? this
        : new(Compose(Model, Output, Class, Value, $" on seed '{seedId}'"), Model, Output, Index, Class, Value, Image, seedId);

    /// <summary>The same error for the mid-grey image a model is probed with while it loads.</summary>
    public NonFiniteOutputException OnProbe() =>
        new(Compose(Model, Output, Class, Value, " on a mid-grey test image while loading"), Model, Output, Index, Class, Value, Image, SeedId);

    /// <summary>The <see cref="NonFiniteOutputException"/> in <paramref name="e"/> or its inner exceptions, if any.</summary>
    public static NonFiniteOutputException? In(Exception? e) => e switch
    {
        null => null,
        NonFiniteOutputException n => n,
        AggregateException a => a.InnerExceptions.Select(In).FirstOrDefault(x => x is not null),
        _ => In(e.InnerException),
    };

    private static string Compose(string model, string output, int @class, float value, string? where) =>
        $"Model '{model}' gave a non-finite score ({value.ToString(CultureInfo.InvariantCulture)} for class {@class} of output '{output}')" +
        where +
        "; a model whose outputs are NaN or infinite cannot be ranked or compared (check its export, e.g. an fp16 overflow).";
}
