using System.CommandLine;
using System.Text.RegularExpressions;
using Dflare.Cli.Commands;

namespace Dflare.Cli;

/// <summary>Entry point of the <c>dflare</c> command-line tool.</summary>
public static partial class Program
{
    /// <summary>
    /// Runs the tool; returns the process exit code: 0 success, 1 a judging command (check, merge) found a problem, 2 bad input (an option, a
    /// file, an output that cannot be written), 130 interrupted. Errors are <c>error: …</c> lines on stderr.
    /// </summary>
    public static int Main(string[] args)
    {
        // Lines the shared console writes to a file, a pipe or a CI log: as wide as the commands' own tables.
        CommandRunner.WidenWhenRedirected(Spectre.Console.AnsiConsole.Console, Console.IsOutputRedirected);
        return Run(args);
    }

    /// <summary>Parses and runs one command line (also used in-process by <c>demo</c> and the tests).</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        var root = BuildRoot();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !AsksForHelp(args))
        {
            foreach (var e in parsed.Errors) CommandRunner.Error(Readable(e.Message));
            var command = parsed.CommandResult.Command;
            var path = command == root ? "dflare" : $"dflare {string.Join(' ', Ancestry(parsed.CommandResult))}";
            Console.Error.WriteLine($"Run '{path} --help' for the options.");
            return CommandRunner.BadInput;
        }
        try { return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }); }
        catch (Exception e)
        {
            // Commands catch their own errors; this is the last net (e.g. an error while parsing a value).
            CommandRunner.Error(CommandRunner.Describe(e));
            return CommandRunner.BadInput;
        }
    }

    private static bool AsksForHelp(IReadOnlyList<string> args) => args.Any(a => a is "--help" or "-h" or "-?" or "--version");

    private static IEnumerable<string> Ancestry(System.CommandLine.Parsing.CommandResult r)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? s = r; s is System.CommandLine.Parsing.CommandResult c && c.Parent is not null; s = c.Parent)
            names.Insert(0, c.Command.Name);
        return names;
    }

    /// <summary>Parser messages in the tool's words: .NET type names become plain ones.</summary>
    private static string Readable(string message) => TypeName().Replace(message, m => "as " + m.Groups[1].Value switch
    {
        "Int32" or "Int64" => "a whole number",
        "UInt64" or "UInt32" => "a whole number ≥ 0",
        "Double" or "Single" => "a number",
        "Boolean" => "true or false",
        var t => t,
    }).TrimEnd('.') + ".";

    [GeneratedRegex(@"as expected type 'System\.(?:Nullable`1\[System\.)?(\w+)\]?'")]
    private static partial Regex TypeName();

    /// <summary>The root command with every sub-command.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("dflare: finds inputs on which a compressed image classifier disagrees with its original (DFlare), and more. " +
                                   "Exit codes: 0 the command ran, 1 check or merge found a problem (the pair or the merged run fails), 2 bad input, 130 interrupted.");
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
        root.Subcommands.Add(LocalizeCommand.Create());
        root.Subcommands.Add(RepairCommand.Create());
        root.Subcommands.Add(ExportTriggersCommand.Create());
        return root;
    }
}
