namespace Dflare.Snapshots;

/// <summary>
/// Tells whether the process runs on a build server. Plain <c>CI=true</c> counts (DiffEngine's detector ignores it),
/// as do the variables of the common CI systems.
/// </summary>
public static class CiEnvironment
{
    private static readonly string[] AnyValue = ["GITHUB_ACTION", "JENKINS_URL", "GITLAB_CI", "TEAMCITY_VERSION", "TRAVIS_BUILD_ID", "APPVEYOR", "GO_SERVER_URL", "BUILDKITE", "CIRCLECI"];

    /// <summary>True when a CI system is detected: <c>CI</c> set to anything but empty, <c>false</c> or <c>0</c>, <c>TF_BUILD=True</c>, or a CI system's own variable.</summary>
    public static bool IsCi => Detect(Environment.GetEnvironmentVariable);

    /// <summary>The detection rule over any variable lookup (for tests).</summary>
    public static bool Detect(Func<string, string?> env)
    {
        var ci = env("CI");
        if (!string.IsNullOrWhiteSpace(ci) && !ci.Equals("false", StringComparison.OrdinalIgnoreCase) && ci != "0") return true;
        if (string.Equals(env("TF_BUILD"), "True", StringComparison.OrdinalIgnoreCase)) return true;
        if (string.Equals(env("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase)) return true;
        return AnyValue.Any(v => !string.IsNullOrEmpty(env(v)));
    }
}
