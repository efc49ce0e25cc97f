using Dflare.Snapshots;

namespace Dflare.Tests.Snapshots;

public sealed class SnapshotNamingTests
{
    [Fact]
    public void Names_follow_verify_conventions()
    {
        var p = SnapshotPaths.ForSeed("/x", "PairTests.Int8_model", "17");
        Path.GetFileName(p.VerifiedImage).Should().Be("PairTests.Int8_model.seed=17.verified.png");
        Path.GetFileName(p.ReceivedJson).Should().Be("PairTests.Int8_model.seed=17.received.json");
        Path.GetFileName(p.ReceivedComposite).Should().Be("PairTests.Int8_model.seed=17.received.composite.png");
        Path.GetFileName(SnapshotPaths.ForSeed("/x", "T.M", "a/b c").VerifiedJson).Should().Be("T.M.seed=a_b_c.verified.json");
        SnapshotPaths.Sanitize("a/b c.d").Should().Be("a_b_c_d");
    }

    [Fact]
    public void Snapshot_facts_round_trip_and_an_old_file_without_margins_still_reads()
    {
        var dir = Directory.CreateTempSubdirectory("dflare-snap-").FullName;
        try
        {
            var path = Path.Combine(dir, "s.json");
            File.WriteAllText(path, """{ "seedId": "178", "originalLabel": 5, "originalProbability": 0.48, "compressedLabel": 3, "compressedProbability": 0.55 }""");
            var old = DeviationSnapshot.Read(path);
            (old.OriginalLabel, old.CompressedLabel, old.OriginalMargin).Should().Be((5, 3, (double?)null));
            File.WriteAllText(path, (old with { OriginalMargin = 0.02, OrtVersion = "1.2.3", CpuFeatures = "X64 avx2" }).ToJson());
            var back = DeviationSnapshot.Read(path);
            (back.FormatVersion, back.OriginalMargin, back.OrtVersion, back.CpuFeatures).Should().Be((2, (double?)0.02, "1.2.3", "X64 avx2"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("", false)]
    public void Plain_CI_variable_is_detected(string value, bool expected) =>
        CiEnvironment.Detect(k => k == "CI" ? value : null).Should().Be(expected);
}
