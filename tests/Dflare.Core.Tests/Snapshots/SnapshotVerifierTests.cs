using Dflare.Images;
using Dflare.Snapshots;

namespace Dflare.Tests.Snapshots;

public sealed class SnapshotVerifierTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-snap-").FullName;
    private readonly SnapshotSettings _local = new() { IsCi = false };
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Image Img(byte v, int w = 8)
    {
        var i = new Image(w, 8, 1);
        Array.Fill(i.Pixels, v);
        return i;
    }

    private static DeviationSnapshot Facts(string seed = "17", int orig = 3, int comp = 5) => new()
    {
        SeedId = seed, OriginalLabel = orig, OriginalLabelName = "cat", OriginalProbability = 0.91,
        CompressedLabel = comp, CompressedLabelName = "dog", CompressedProbability = 0.55,
        Queries = 124, LInf = 12, L2 = 40.5, RunSeed = 1, Strategy = "dflare", Operators = ["gaussian", "blur"],
    };

    private SnapshotPaths Paths() => SnapshotPaths.For(_dir, "PairTests", "Int8_model", "seed=17");

    [Fact]
    public void Names_follow_verify_conventions()
    {
        var p = Paths();
        Path.GetFileName(p.VerifiedImage).Should().Be("PairTests.Int8_model.seed=17.verified.png");
        Path.GetFileName(p.ReceivedJson).Should().Be("PairTests.Int8_model.seed=17.received.json");
        SnapshotPaths.Sanitize("a/b c.d").Should().Be("a_b_c_d");
    }

    [Fact]
    public void No_deviation_and_no_snapshot_passes_and_writes_nothing()
    {
        var v = SnapshotVerifier.Verify(Paths(), null, null, null, _local);
        v.Outcome.Should().Be(SnapshotOutcome.NoDeviation);
        v.Passed.Should().BeTrue();
        Directory.GetFiles(_dir).Should().BeEmpty();
    }

    [Fact]
    public void A_new_deviation_fails_with_received_files_and_a_plain_message_then_passes_once_accepted()
    {
        var p = Paths();
        var first = SnapshotVerifier.Verify(p, Facts(), Img(100), Img(0, 30), _local);

        first.Outcome.Should().Be(SnapshotOutcome.NewDeviation);
        first.Passed.Should().BeFalse();
        first.Message.Should().Contain("seed 17").And.Contain("cat [3] (0.910)").And.Contain("dog [5] (0.550)")
            .And.Contain("124 queries").And.Contain("L∞ 12").And.Contain(p.ReceivedImage).And.Contain("dflare accept");
        File.Exists(p.ReceivedImage).Should().BeTrue();
        File.Exists(p.ReceivedJson).Should().BeTrue();
        File.Exists(p.ReceivedComposite).Should().BeTrue();

        var accepted = SnapshotAcceptor.AcceptAll(_dir);
        accepted.Should().HaveCount(3);
        accepted.Count(a => a.Verified is null).Should().Be(1, "the composite is review-only");

        var again = SnapshotVerifier.Verify(p, Facts(), Img(100), Img(0, 30), _local);
        again.Outcome.Should().Be(SnapshotOutcome.KnownDeviation);
        Directory.GetFiles(_dir).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["PairTests.Int8_model.seed=17.verified.png", "PairTests.Int8_model.seed=17.verified.json"]);
    }

    [Fact]
    public void A_different_image_or_different_labels_is_a_mismatch()
    {
        var p = Paths();
        SnapshotVerifier.Verify(p, Facts(), Img(100), null, _local with { AcceptAll = true }).Outcome.Should().Be(SnapshotOutcome.Accepted);

        SnapshotVerifier.Verify(p, Facts(), Img(103), null, _local).Outcome.Should().Be(SnapshotOutcome.Mismatch);
        SnapshotVerifier.Verify(p, Facts(), Img(103), null, _local with { PixelTolerance = 3 }).Outcome.Should().Be(SnapshotOutcome.KnownDeviation);
        var labels = SnapshotVerifier.Verify(p, Facts(comp: 7), Img(100), null, _local);
        labels.Outcome.Should().Be(SnapshotOutcome.Mismatch);
        labels.Message.Should().Contain("verified labels 3→5, found 3→7");
    }

    [Fact]
    public void A_verified_deviation_that_is_no_longer_found_fails_saying_so()
    {
        var p = Paths();
        SnapshotVerifier.Verify(p, Facts(), Img(100), null, _local with { AcceptAll = true });

        var v = SnapshotVerifier.Verify(p, null, null, null, _local);

        v.Outcome.Should().Be(SnapshotOutcome.DeviationGone);
        v.Message.Should().Contain("no longer found").And.Contain("deleting").And.Contain(p.VerifiedImage);
    }

    [Fact]
    public void Accept_mode_never_accepts_on_ci()
    {
        var v = SnapshotVerifier.Verify(Paths(), Facts(), Img(1), null, new SnapshotSettings { AcceptAll = true, IsCi = true });
        v.Outcome.Should().Be(SnapshotOutcome.NewDeviation);
        File.Exists(Paths().VerifiedImage).Should().BeFalse();
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("", false)]
    public void Plain_CI_variable_is_detected(string value, bool expected) =>
        CiEnvironment.Detect(k => k == "CI" ? value : null).Should().Be(expected);

    [Fact]
    public void Pixel_comparison_reports_geometry_and_value_differences()
    {
        PixelComparison.Compare(Img(10), Img(10, 9)).Description.Should().Contain("9x8x1").And.Contain("8x8x1");
        var c = PixelComparison.Compare(Img(10), Img(14), tolerance: 2);
        c.Equal.Should().BeFalse();
        c.MaxDifference.Should().Be(4);
        c.DifferingValues.Should().Be(64);
    }

    [Fact]
    public void Files_with_different_bytes_but_equal_pixels_compare_equal()
    {
        var a = Path.Combine(_dir, "a.png");
        var b = Path.Combine(_dir, "b.bmp");
        // The same pixels as an RGB PNG and as a 24-bit BMP: different bytes, same decoded pixels.
        Img(42).ToRgb().SavePng(a);
        File.WriteAllBytes(b, TestImages.Bmp24(Img(42)));
        PixelComparison.CompareFiles(a, b).Equal.Should().BeTrue();
    }

}
