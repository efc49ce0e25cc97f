using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// A mutation operator: makes a new image from an image and a random generator. Operators work on 0..255 values,
/// channel by channel, and clip their result to 0..255 (the two noises by default first cast to uint8 as NumPy does,
/// which wraps around: see <see cref="NoiseCast"/>). They are pure: the same input image and
/// generator state always give the same output, and the input is never modified.
/// </summary>
public interface IMutationOperator
{
    /// <summary>The operator's name as used on the command line and in results (e.g. <c>gaussian-noise</c>).</summary>
    string Name { get; }

    /// <summary>The name with the parameters, e.g. <c>gaussian-noise:mean=0:variance=0.1:cast=uint8</c>; <see cref="MutationOperators.Parse"/> reads it back.</summary>
    string Spec { get; }

    /// <summary>Returns a mutated copy of <paramref name="image"/>, drawing every random choice from <paramref name="rng"/>.</summary>
    Image Apply(Image image, Rng rng);
}
