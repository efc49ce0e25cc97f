namespace Dflare.Cli.Tests;

public sealed class AcceptCommandTests : IDisposable
{
    private const string Facts = """{ "seedId": "1", "originalLabel": 3, "originalProbability": 0.9, "compressedLabel": 5, "compressedProbability": 0.8 }""";
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-accept-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Accept_promotes_received_pairs_lists_them_and_removes_review_pictures()
    {
        var snaps = Directory.CreateDirectory(Path.Combine(_dir, "Snapshots")).FullName;
        File.WriteAllText(Path.Combine(snaps, "T.M.seed=1.received.json"), Facts);
        File.WriteAllBytes(Path.Combine(snaps, "T.M.seed=1.received.png"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(snaps, "T.M.seed=1.received.composite.png"), [4]);
        File.WriteAllText(Path.Combine(snaps, "T.M.seed=1.verified.json"), "old");
        Directory.CreateDirectory(Path.Combine(_dir, "bin"));
        File.WriteAllText(Path.Combine(_dir, "bin", "X.received.json"), "{}");

        var r = CliRunner.Run("accept", _dir);

        r.ExitCode.Should().Be(0, r.ToString());
        r.StdOut.Should().Contain("T.M.seed=1.verified.png").And.Contain("1 snapshot(s) accepted (2 files); commit the *.verified.* files.");
        Directory.GetFiles(snaps).Select(Path.GetFileName).Should().BeEquivalentTo(["T.M.seed=1.verified.json", "T.M.seed=1.verified.png"]);
        File.ReadAllText(Path.Combine(snaps, "T.M.seed=1.verified.json")).Should().Be(Facts);
        File.Exists(Path.Combine(_dir, "bin", "X.received.json")).Should().BeTrue("build output is never touched");
    }

    [Fact]
    public void A_received_image_without_its_facts_is_not_accepted_and_the_verified_pair_stays()
    {
        var snaps = Directory.CreateDirectory(Path.Combine(_dir, "Snapshots")).FullName;
        File.WriteAllBytes(Path.Combine(snaps, "T.M.seed=2.received.png"), [9]);
        File.WriteAllBytes(Path.Combine(snaps, "T.M.seed=2.verified.png"), [1]);
        File.WriteAllText(Path.Combine(snaps, "T.M.seed=2.verified.json"), Facts);
        File.WriteAllBytes(Path.Combine(snaps, "T.M.seed=3.received.png"), [9]);
        File.WriteAllText(Path.Combine(snaps, "T.M.seed=3.received.json"), "{ not json");

        var r = CliRunner.Run("accept", snaps);

        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain("T.M.seed=2.received.png has no T.M.seed=2.received.json").And.Contain("T.M.seed=3.received.json").And.Contain("not a valid deviation snapshot");
        r.StdErr.Should().NotContain("   at ", "no stack trace");
        File.ReadAllBytes(Path.Combine(snaps, "T.M.seed=2.verified.png")).Should().Equal([1]);
        File.Exists(Path.Combine(snaps, "T.M.seed=2.received.png")).Should().BeTrue("nothing of an incomplete pair is touched");
        File.Exists(Path.Combine(snaps, "T.M.seed=3.verified.png")).Should().BeFalse();
    }

    [Fact]
    public void Accept_of_a_missing_folder_exits_2()
    {
        var r = CliRunner.Run("accept", Path.Combine(_dir, "missing"));
        r.ExitCode.Should().Be(2);
        r.StdErr.Should().Contain("does not exist");
    }
}
