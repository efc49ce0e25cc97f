namespace Dflare.Examples;

/// <summary>A robustness floor for a real MNIST model from ../shared (skipped, naming the path, when absent).</summary>
public class SharedMnistRobustnessTests
{
    [QuanosRobustness(0.1, Model = "../../../shared/models/mnist/cnn-pytorch.onnx", Seeds = "../../../shared/data/mnist/t10k-images-idx3-ubyte.gz",
        Limit = 10, Mean = "0.5", Std = "0.5", Epsilon = 0.1, MaxEpsilon = 0.4, SkipWhenFilesMissing = true)]
    public void Cnn_pytorch_needs_more_than_25_grey_levels_of_adversarial_noise_to_flip(RobustnessOutcome outcome) =>
        outcome.Should().HaveAdversarialAccuracyOfAtLeast(0.8, "FGSM at ε = 0.1 flips few of these digits");
}
