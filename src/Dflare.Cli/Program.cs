using System.CommandLine;
using Dflare.Cli.Commands;

namespace Dflare.Cli;

/// <summary>Entry point of the <c>dflare</c> command-line tool.</summary>
public static class Program
{
    /// <summary>Runs the tool; returns the process exit code (0 success, 1 the check found a problem, 2 bad input).</summary>
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    /// <summary>The root command with every sub-command.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("dflare: finds inputs on which a compressed image classifier disagrees with its original (DFlare), and more.");
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(CompressCommand.Create());
        root.Subcommands.Add(AcceptCommand.Create());
        root.Subcommands.Add(RobustnessCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(QuanosCommand.Create());
        return root;
    }
}
