using System.Diagnostics;
using Dflare.Images;

namespace Dflare.Tests.Images;

/// <summary>
/// Every resize filter, with and without antialias, against reference outputs that resize_reference.py makes with
/// PIL (antialiased) and torch's interpolate (not antialiased) in Debian's /usr/bin/python3: within one grey level.
/// </summary>
public sealed class ResizeReferenceTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-resize-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string References()
    {
        if (!File.Exists(Python)) Assert.Skip($"{Python} is missing (the resize references are made with Debian's python3 and PIL).");
        var script = Path.Combine(SharedData.RepoRoot, "tests", "Dflare.Core.Tests", "Images", "resize_reference.py");
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(_dir);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 && stderr.Contains("No module named 'PIL'", StringComparison.Ordinal))
            Assert.Skip($"{Python} has no PIL (apt-get install python3-pil) to make the resize references.");
        p.ExitCode.Should().Be(0, stderr);
        return stdout;
    }

    [Fact]
    public void Every_filter_matches_PIL_antialiased_and_torch_without_antialias_to_one_grey_level()
    {
        var missing = References();
        int compared = 0;
        var failures = new List<string>();
        int exactPil = 0;
        foreach (var input in Directory.GetFiles(_dir, "*.input.png"))
        {
            var name = Path.GetFileName(input)[..^".input.png".Length];
            var img = Image.Load(input);
            foreach (var filter in Enum.GetValues<ResizeFilter>())
                foreach (var aa in new[] { true, false })
                {
                    var refPath = Path.Combine(_dir, $"{name}.{filter.ToString().ToLowerInvariant()}.{(aa ? "aa" : "noaa")}.png");
                    if (!File.Exists(refPath)) continue;
                    var expected = Image.Load(refPath);
                    var actual = img.Resize(expected.Width, expected.Height, filter, aa);
                    actual.Channels.Should().Be(expected.Channels);
                    int worst = 0;
                    for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual.Pixels[i] - expected.Pixels[i]));
                    if (worst > 1) failures.Add($"{name} {filter} antialias={aa}: {worst} grey levels");
                    if (aa) exactPil += worst == 0 ? 1 : 0;
                    compared++;
                }
        }
        failures.Should().BeEmpty("every filter matches its reference to within one grey level");
        exactPil.Should().Be(20, "PIL's fixed-point arithmetic is followed bit for bit");
        compared.Should().BeGreaterThanOrEqualTo(20, "five images × four filters antialiased");
        if (missing.Contains("missing", StringComparison.Ordinal))
            TestContext.Current.SendDiagnosticMessage($"Only the antialiased (PIL) references were compared: {missing.Trim()} in {Python}.");
        else compared.Should().Be(30, "plus bilinear and bicubic without antialias from torch");
    }

    [Fact]
    public void The_filters_really_differ_so_the_reference_test_can_tell_them_apart()
    {
        var img = new Image(37, 29, 1);
        for (int i = 0; i < img.Length; i++) img.Pixels[i] = (byte)((i * 37 + (i % 7) * 29) % 256);
        var outputs = Enum.GetValues<ResizeFilter>().Select(f => img.Resize(16, 12, f)).ToList();
        for (int a = 0; a < outputs.Count; a++)
            for (int b = a + 1; b < outputs.Count; b++)
                outputs[a].Should().NotBe(outputs[b]);
        img.Resize(16, 12, ResizeFilter.Bilinear, antialias: false).Should().NotBe(outputs[1], "antialias widens a shrinking filter");
    }
}
