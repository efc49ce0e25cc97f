namespace Dflare.Reports;

/// <summary>Links from a report to the files of its report directory (pictures), relative or under a base URL.</summary>
public static class ReportLinks
{
    /// <summary>
    /// Checks a base URL for report links: an absolute <c>http</c> or <c>https</c> URL. Returns it without trailing
    /// slashes, or null for null or blank.
    /// </summary>
    /// <param name="url">The URL.</param>
    /// <param name="option">The option or property that gave it, for the error message.</param>
    /// <exception cref="DflareException">It is not an absolute http(s) URL.</exception>
    public static string? NormalizeBaseUrl(string? url, string option)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        url = url.Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new DflareException($"{option} '{url}' is not an absolute http(s) URL (for example https://ci.example.com/artifacts/dflare).");
        return url.TrimEnd('/');
    }

    /// <summary>
    /// The link to <paramref name="relativePath"/> (a path inside the report directory, with <c>/</c> separators):
    /// URL-escaped, and prefixed with <paramref name="baseUrl"/> and a slash when one is given.
    /// </summary>
    public static string To(string relativePath, string? baseUrl)
    {
        var escaped = string.Join('/', relativePath.Replace('\\', '/').Split('/').Select(Uri.EscapeDataString));
        return string.IsNullOrEmpty(baseUrl) ? escaped : baseUrl.TrimEnd('/') + "/" + escaped;
    }
}
