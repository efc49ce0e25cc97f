using Dflare.Models;
using Dflare.Onnx;

namespace Dflare.Tests.Onnx;

/// <summary>Load → save → load through the project's own ONNX schema keeps every real model intact.</summary>
public sealed class OnnxRoundTripTests
{
    [Theory]
    [MemberData(nameof(SharedModels.Keys), MemberType = typeof(SharedModels))]
    public void Load_save_load_gives_the_same_graph_and_identical_ORT_outputs(string key)
    {
        var e = SharedModels.Get(key);
        var path = SharedData.Require(e.Path);
        var model = OnnxModel.Load(path);

        var saved = Path.Combine(Path.GetTempPath(), $"dflare-roundtrip-{Guid.NewGuid():N}.onnx");
        model.Save(saved);
        var bytes = File.ReadAllBytes(saved);
        var again = OnnxModel.Load(saved);
        File.Delete(saved);

        again.Proto.Should().Be(model.Proto, "every field, modelled or unknown, survives");
        again.Graph.Node.Count.Should().Be(model.Graph.Node.Count);
        again.Graph.Initializer.Select(t => t.Name).Should().Equal(model.Graph.Initializer.Select(t => t.Name));
        bytes.Should().Equal(File.ReadAllBytes(path), "re-serializing gives the file's own bytes");

        var images = SharedModels.Images(e, e.Key.StartsWith("mobilenet", StringComparison.Ordinal) ? 2 : 16);
        var original = OnnxClassifier.Load(path, e.Options);
        using var copy = OnnxClassifier.FromBytes(bytes, "round-trip", e.Options);
        var a = original.PredictScores(images);
        var b = copy.PredictScores(images);
        for (int i = 0; i < a.Length; i++) b[i].Should().Equal(a[i], $"image {i} gives bit-identical scores");
    }
}
