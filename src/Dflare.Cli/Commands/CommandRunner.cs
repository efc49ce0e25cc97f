using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>Runs a command body and turns user errors into a clear message and exit code 2.</summary>
internal static class CommandRunner
{
    public const int Ok = 0;
    public const int Found = 1;
    public const int BadInput = 2;

    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (DflareException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
    }

    /// <summary>A console for human output that never mixes with JSON on stdout: stderr when <paramref name="json"/>.</summary>
    public static IAnsiConsole Console2(bool json) => json
        ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
        : AnsiConsole.Console;
}
