using System.CommandLine;

namespace Dflare.Cli.Commands;

/// <summary>Helpers for building commands.</summary>
internal static class CommandExtensions
{
    /// <summary>Adds <paramref name="options"/> to <paramref name="command"/> in their order (the order help lists them in).</summary>
    public static void AddOptions(this Command command, IEnumerable<Option> options)
    {
        foreach (var o in options) command.Options.Add(o);
    }
}
