using System.Diagnostics;

namespace Dflare.Gate.Tests;

/// <summary>The result of a child process.</summary>
public sealed record ShellResult(string Command, int ExitCode, string Output)
{
    public override string ToString() => $"$ {Command}\nexit {ExitCode}\n{Output}";
}

/// <summary>Runs tools (dotnet, chromium) as a user would, with an isolated .NET home and package folder.</summary>
public sealed class Shell
{
    private readonly Dictionary<string, string?> env = new(StringComparer.Ordinal);

    /// <summary>Variables to set (null removes one) in every child process.</summary>
    public Shell Set(string name, string? value) { env[name] = value; return this; }

    public ShellResult Run(string workingDirectory, string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A run of the gate must see only the settings the test gives it.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("DFLARE_", StringComparison.Ordinal) || k.StartsWith("Dflare", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in env)
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        var command = $"{Path.GetFileName(file)} {string.Join(' ', psi.ArgumentList)}";
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(6)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish in time:\n{so.Result}{se.Result}");
        }
        return new ShellResult(command, p.ExitCode, so.Result + se.Result);
    }

    public ShellResult Dotnet(string workingDirectory, params string[] args) => Run(workingDirectory, "dotnet", args);
}
