using Dflare.Models;
using Dflare.Quanos.Adversarial;

namespace Dflare.Quanos.Robustness;

/// <summary>
/// An attack that measures one model's robustness on a set of images: per seed the adversarial image and prediction at
/// ε and the smallest flipping ε it finds. <see cref="RobustnessAnalyzer"/> (query-only FGSM) and
/// <see cref="SquareRobustnessAnalyzer"/> (the Square Attack) implement it; <see cref="RobustnessCheck"/> combines them.
/// </summary>
public interface IRobustnessAttack
{
    /// <summary>A short name for reports: <c>fd-fgsm</c>, <c>spsa-fgsm</c> or <c>square</c>.</summary>
    string Name { get; }

    /// <summary>A one-line description with the settings.</summary>
    string Description { get; }

    /// <summary>The budget ε (in [0,1] pixel units) at which adversarial accuracy is measured.</summary>
    double Epsilon { get; }

    /// <summary>Measures one model on images given as float pixels at model geometry.</summary>
    /// <param name="model">The model.</param>
    /// <param name="inputs">The images.</param>
    /// <param name="progress">Called with the number of images finished so far.</param>
    /// <exception cref="DflareException">An image does not fit the model, or lacks a label for the label loss.</exception>
    RobustnessReport Analyze(OnnxClassifier model, IReadOnlyList<AttackInput> inputs, Action<int>? progress = null);
}
