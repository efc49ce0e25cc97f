namespace Dflare.Cli.Tests;

public sealed class AcceptCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-accept-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Accept_promotes_received_files_lists_them_and_removes_review_pictures()
    {
        var snaps = Directory.CreateDirectory(Path.Combine(_dir, "Snapshots")).FullName;
        File.WriteAllText(Path.Combine(snaps, "T.M.seed=1.received.json"), "{}");
        File.WriteAllBytes(Path.Combine(snaps, "T.M.seed=1.received.png"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(snaps, "T.M.seed=1.received.composite.png"), [4]);
        Directory.CreateDirectory(Path.Combine(_dir, "bin"));
        File.WriteAllText(Path.Combine(_dir, "bin", "X.received.json"), "{}");

        var r = CliRunner.Run("accept", _dir);

        r.ExitCode.Should().Be(0, r.ToString());
        r.StdOut.Should().Contain("T.M.seed=1.verified.png").And.Contain("2 file(s) accepted");
        Directory.GetFiles(snaps).Select(Path.GetFileName).Should().BeEquivalentTo(["T.M.seed=1.verified.json", "T.M.seed=1.verified.png"]);
        File.Exists(Path.Combine(_dir, "bin", "X.received.json")).Should().BeTrue("build output is never touched");
    }

    [Fact]
    public void Accept_of_a_missing_folder_exits_2()
    {
        var r = CliRunner.Run("accept", Path.Combine(_dir, "missing"));
        r.ExitCode.Should().Be(2);
        r.StdErr.Should().Contain("does not exist");
    }
}
