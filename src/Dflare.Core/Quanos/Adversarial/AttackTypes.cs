using System.Globalization;
using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;

namespace Dflare.Quanos.Adversarial;

/// <summary>Which class's cross-entropy an attack increases.</summary>
public enum AttackLoss
{
    /// <summary>The model's own top-1 prediction on the clean image (no labels needed).</summary>
    Prediction,
    /// <summary>The seed's true label (every seed must have one).</summary>
    Label,
}

/// <summary>An image to attack: float pixels on the 0..255 scale at model geometry (H×W×C interleaved).</summary>
/// <param name="Id">The seed's id (also selects the random stream of randomised gradient estimators).</param>
/// <param name="Pixels">The clean image (not modified).</param>
/// <param name="Label">The true class, when known.</param>
public sealed record AttackInput(string Id, float[] Pixels, int? Label)
{
    /// <summary>Brings a seed to the model's geometry (<see cref="OnnxClassifier.Prepare(Dflare.Datasets.Seed)"/>) and converts it to float pixels.</summary>
    /// <exception cref="DflareException">The seed's image does not fit the model.</exception>
    public static AttackInput From(OnnxClassifier model, Seed seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(seed);
        var img = model.Prepare(seed);
        var px = new float[img.Length];
        for (int i = 0; i < px.Length; i++) px[i] = img.Pixels[i];
        return new AttackInput(seed.Id, px, seed.Label);
    }

    /// <summary><see cref="From(OnnxClassifier, Seed)"/> for every seed, in order.</summary>
    /// <exception cref="DflareException">A seed's image does not fit the model.</exception>
    public static IReadOnlyList<AttackInput> From(OnnxClassifier model, IEnumerable<Seed> seeds) =>
        seeds.Select(s => From(model, s)).ToList();
}

/// <summary>Settings of an FGSM attack (single-step, or iterative with projection onto the ε ball).</summary>
/// <remarks>
/// Budgets are in pixel units of the [0,1] image (ε = 8/255 means eight grey levels) and are applied to the 0..255
/// pixels before the model's own normalisation. Each step is
/// <c>x ← clip_[0,255](Π_ε(x + α·255·sign(ĝ(x))))</c> where Π_ε clips to <c>[x₀ − 255ε, x₀ + 255ε]</c>.
/// </remarks>
public sealed record FgsmOptions
{
    /// <summary>The L∞ budget ε in [0,1] pixel units, 0 &lt; ε &lt; 1.</summary>
    public required double Epsilon { get; init; }
    /// <summary>Number of gradient steps: 1 is FGSM, more is the iterative (PGD-style, no random start) variant.</summary>
    public int Steps { get; init; } = 1;
    /// <summary>Step size α in [0,1] pixel units; default ε for one step, 2.5·ε/steps for several.</summary>
    public double? StepSize { get; init; }
    /// <summary>Which class's cross-entropy is increased.</summary>
    public AttackLoss Loss { get; init; } = AttackLoss.Prediction;
    /// <summary>Iterative variant: stop attacking an image once its top-1 class is no longer the loss's target class.</summary>
    public bool StopWhenFlipped { get; init; } = true;

    /// <summary>The step size used: <see cref="StepSize"/> or its default.</summary>
    public double EffectiveStepSize => StepSize ?? (Steps == 1 ? Epsilon : 2.5 * Epsilon / Steps);

    /// <summary>Checks the settings.</summary>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public void Validate()
    {
        ValidateEpsilon(Epsilon);
        if (Steps < 1) throw new DflareException($"The number of attack steps must be at least 1; got {Steps}.");
        if (StepSize is { } a && (!(a > 0) || a > 1 || !double.IsFinite(a)))
            throw new DflareException($"The attack step size must be in (0, 1] in [0,1] pixel units; got {a.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Checks that an ε budget is in (0, 1).</summary>
    /// <exception cref="DflareException">It is not.</exception>
    public static void ValidateEpsilon(double epsilon, string name = "epsilon")
    {
        if (!(epsilon > 0 && epsilon < 1))
            throw new DflareException($"{name} must be in (0, 1) in [0,1] pixel units (e.g. 0.1, or 0.0314 for 8/255); got {epsilon.ToString("G6", CultureInfo.InvariantCulture)}.");
    }
}

/// <summary>The outcome of attacking one image.</summary>
/// <remarks>
/// <see cref="Adversarial"/> is kept as float pixels (0..255 scale, not rounded): predictions and losses here are
/// for that float image. <see cref="ToImage"/> rounds it to an 8-bit image for saving or viewing, which can change the
/// prediction when 255·ε is not a whole number of grey levels.
/// </remarks>
public sealed record AdversarialExample
{
    /// <summary>The seed's id.</summary>
    public required string Id { get; init; }
    /// <summary>The true class, when known.</summary>
    public int? Label { get; init; }
    /// <summary>The class whose cross-entropy was increased.</summary>
    public required int Target { get; init; }
    /// <summary>Image width (model geometry).</summary>
    public required int Width { get; init; }
    /// <summary>Image height (model geometry).</summary>
    public required int Height { get; init; }
    /// <summary>Image channels (model geometry).</summary>
    public required int Channels { get; init; }
    /// <summary>The clean image, float pixels 0..255, H×W×C.</summary>
    public required float[] Clean { get; init; }
    /// <summary>The adversarial image x_adv, float pixels 0..255, H×W×C (within 255·ε of <see cref="Clean"/> and within [0, 255]).</summary>
    public required float[] Adversarial { get; init; }
    /// <summary>The model's top-1 class on the clean image.</summary>
    public required int CleanPrediction { get; init; }
    /// <summary>The model's top-1 class on <see cref="Adversarial"/>.</summary>
    public required int AdversarialPrediction { get; init; }
    /// <summary>The loss (cross-entropy of <see cref="Target"/>) on the clean image.</summary>
    public required double CleanLoss { get; init; }
    /// <summary>The loss on <see cref="Adversarial"/>.</summary>
    public required double AdversarialLoss { get; init; }
    /// <summary>The budget ε in [0,1] pixel units.</summary>
    public required double Epsilon { get; init; }
    /// <summary>Gradient steps taken (fewer than asked when the attack stopped at a flip).</summary>
    public required int Steps { get; init; }
    /// <summary>Images the model evaluated for this attack (clean prediction, gradient probes, checks).</summary>
    public required long Queries { get; init; }

    /// <summary>True when the top-1 class on x_adv differs from the clean one.</summary>
    public bool Flipped => AdversarialPrediction != CleanPrediction;

    /// <summary>The largest change of any value, in [0,1] pixel units (≤ ε).</summary>
    public double Linf
    {
        get
        {
            double m = 0;
            for (int i = 0; i < Clean.Length; i++) m = Math.Max(m, Math.Abs((double)Adversarial[i] - Clean[i]));
            return m / 255.0;
        }
    }

    /// <summary>x_adv rounded to the nearest grey level as an 8-bit image (for saving; its prediction may differ from <see cref="AdversarialPrediction"/>).</summary>
    public Image ToImage() => Fgsm.ToImage(Adversarial, Width, Height, Channels);
}
