namespace Dflare.Gate.Tests;

/// <summary>What headless Chromium saw of a page.</summary>
public sealed record PageCheck(string Title, string Dom, string Screenshot, string Log);

/// <summary>
/// Headless Chromium (Debian package <c>chromium</c>): loads a page from disk, reports whether every image loaded
/// (a probe script beside the page sets <c>document.title</c>) and takes a screenshot. Tests skip, with the reason,
/// when Chromium is not installed.
/// </summary>
public static class Browser
{
    public static string? Executable { get; } =
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    public static string Require() =>
        Executable ?? throw SkipException();

    private static Exception SkipException()
    {
        Assert.Skip("Chromium is not installed (Debian package 'chromium'; .ci/run installs it when it can).");
        return new InvalidOperationException();
    }

    /// <summary>
    /// Opens <paramref name="html"/> through a probe copy in the same folder (so relative image links resolve the
    /// same way), waits for the page to load and returns the title the probe set: <c>images-ok N</c> when all N
    /// images decoded, else <c>images-broken: src,...</c>.
    /// </summary>
    public static PageCheck Check(string html, string screenshot, int height = 2000)
    {
        var chromium = Require();
        var dir = Path.GetDirectoryName(Path.GetFullPath(html))!;
        var probe = Path.Combine(dir, $".probe-{Guid.NewGuid():N}.html");
        const string script = """
            <script>
            function dflareProbe() {
              const imgs = Array.from(document.images);
              const broken = imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'));
              document.title = broken.length === 0 ? 'images-ok ' + imgs.length : 'images-broken: ' + broken.join(',');
            }
            window.addEventListener('load', dflareProbe);
            </script>
            """;
        File.WriteAllText(probe, File.ReadAllText(html).Replace("</body>", script + "</body>", StringComparison.Ordinal));
        var profile = Directory.CreateTempSubdirectory("dflare-chromium-").FullName;
        try
        {
            string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", $"--window-size=1280,{height}"];
            var shell = new Shell();
            var dom = shell.Run(dir, chromium, [.. common, "--virtual-time-budget=5000", "--dump-dom", new Uri(probe).AbsoluteUri], TimeSpan.FromMinutes(2));
            var shot = shell.Run(dir, chromium, [.. common, $"--screenshot={screenshot}", new Uri(html).AbsoluteUri], TimeSpan.FromMinutes(2));
            var title = System.Text.RegularExpressions.Regex.Match(dom.Output, "<title>(.*?)</title>").Groups[1].Value;
            return new PageCheck(title, dom.Output, screenshot, dom + "\n" + shot);
        }
        finally
        {
            File.Delete(probe);
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
